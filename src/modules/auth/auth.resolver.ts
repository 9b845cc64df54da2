import { Arg, Mutation, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { Customer } from '../customer/customer.type';
import { LoginInput, RegisterInput } from './auth.input';
import { AuthPayload } from './auth.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload)
  async register(@Arg('input', () => RegisterInput) _input: RegisterInput): Promise<AuthPayload> {
    throw DomainError.notImplemented('register');
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) _input: LoginInput): Promise<AuthPayload> {
    throw DomainError.notImplemented('login');
  }

  @Mutation(() => Boolean, { description: 'Revokes the session of the token used.' })
  async logout(): Promise<boolean> {
    throw DomainError.notImplemented('logout');
  }

  @Mutation(() => Boolean)
  async requestEmailVerification(): Promise<boolean> {
    throw DomainError.notImplemented('requestEmailVerification');
  }

  @Mutation(() => Customer)
  async verifyEmail(@Arg('token', () => String) _token: string): Promise<Customer> {
    throw DomainError.notImplemented('verifyEmail');
  }

  @Mutation(() => Boolean, { description: 'Always true, whether or not the email exists.' })
  async requestPasswordReset(@Arg('email', () => String) _email: string): Promise<boolean> {
    throw DomainError.notImplemented('requestPasswordReset');
  }

  @Mutation(() => Boolean)
  async resetPassword(
    @Arg('token', () => String) _token: string,
    @Arg('newPassword', () => String) _newPassword: string,
  ): Promise<boolean> {
    throw DomainError.notImplemented('resetPassword');
  }

  @Mutation(() => Boolean)
  async changePassword(
    @Arg('currentPassword', () => String) _currentPassword: string,
    @Arg('newPassword', () => String) _newPassword: string,
  ): Promise<boolean> {
    throw DomainError.notImplemented('changePassword');
  }
}
