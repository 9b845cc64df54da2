import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../context/context';
import { TwoFactorRecoveryCodes, TwoFactorSetup } from './auth.type';

/** Two-factor is the customer's own business: SELF only, ADMIN included out (src/auth/rules.ts). */
@Resolver()
export class TwoFactorResolver {
  @Mutation(() => TwoFactorSetup, {
    description:
      'Starts enrolment; two-factor is not on until confirmTwoFactor succeeds. Confirm with `currentPassword`: a stolen session alone must not enrol a factor of its own.',
  })
  async enableTwoFactor(
    @Arg('customerId', () => ID) customerId: string,
    @Ctx() ctx: Context,
    @Arg('currentPassword', () => String, {
      nullable: true,
      description: "The account's password (required; a customer without one sets it first with requestPasswordReset).",
    })
    currentPassword?: string | null,
  ): Promise<TwoFactorSetup> {
    ctx.services.twoFactor.requireFeature();
    await ctx.services.accounts.confirmIdentity(customerId, currentPassword, null, ctx, { field: 'currentPassword', allowCode: false });
    return ctx.services.twoFactor.enable(customerId, ctx);
  }

  @Mutation(() => TwoFactorRecoveryCodes)
  async confirmTwoFactor(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('code', () => String) code: string,
    @Ctx() ctx: Context,
  ): Promise<TwoFactorRecoveryCodes> {
    return { codes: await ctx.services.twoFactor.confirm(customerId, code, ctx) };
  }

  @Mutation(() => Boolean, { description: 'True only for a valid, not yet used code.' })
  verifyTwoFactor(@Arg('customerId', () => ID) customerId: string, @Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.twoFactor.verify(customerId, code, ctx);
  }

  @Mutation(() => Boolean)
  disableTwoFactor(@Arg('customerId', () => ID) customerId: string, @Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.twoFactor.disable(customerId, code, ctx);
  }
}
