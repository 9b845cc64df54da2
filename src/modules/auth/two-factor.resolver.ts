import { Arg, ID, Mutation, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { TwoFactorRecoveryCodes, TwoFactorSetup } from './auth.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver()
export class TwoFactorResolver {
  @Mutation(() => TwoFactorSetup, { description: 'Starts enrolment; two-factor is not on until confirmTwoFactor succeeds.' })
  async enableTwoFactor(@Arg('customerId', () => ID) _customerId: string): Promise<TwoFactorSetup> {
    throw DomainError.notImplemented('enableTwoFactor');
  }

  @Mutation(() => TwoFactorRecoveryCodes)
  async confirmTwoFactor(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('code', () => String) _code: string,
  ): Promise<TwoFactorRecoveryCodes> {
    throw DomainError.notImplemented('confirmTwoFactor');
  }

  @Mutation(() => Boolean, { description: 'True only for a valid, not yet used code.' })
  async verifyTwoFactor(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('code', () => String) _code: string,
  ): Promise<boolean> {
    throw DomainError.notImplemented('verifyTwoFactor');
  }

  @Mutation(() => Boolean)
  async disableTwoFactor(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('code', () => String) _code: string,
  ): Promise<boolean> {
    throw DomainError.notImplemented('disableTwoFactor');
  }
}
