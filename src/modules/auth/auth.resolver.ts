import { getNamedType, GraphQLObjectType, GraphQLResolveInfo, isLeafType } from 'graphql';
import { Arg, Ctx, Info, Mutation, Resolver } from 'type-graphql';
import { asCustomer } from '../../auth/viewer';
import { selectedFields } from '../../common/selection';
import { isWellFormedText } from '../../common/text';
import { DomainError } from '../../errors/domain-error';
import type { Context } from '../../context/context';
import { Customer } from '../customer/customer.type';
import type { CustomerRecord } from '../customer/customer.record';
import type { AuthResult } from './account.service';
import { LoginInput, RegisterInput } from './auth.input';
import { AuthPayload } from './auth.type';

/**
 * Sign-up, sign-in and the account's secrets. After a successful `register` or `login` the
 * rest of the operation runs as the signed-in customer, so `login { customer { addresses } }`
 * answers in one round trip (the caller has just proven who they are).
 */
@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload)
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: Context): Promise<AuthResult> {
    return signIn(ctx, await ctx.services.accounts.register(input, ctx));
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthResult> {
    // Text no account can hold (NUL, an unpaired surrogate; PostgreSQL refuses NUL) fails as an
    // unknown account does, with the same error: argument-guard.ts leaves this field's text to us.
    if (![input.email, input.password, input.twoFactorCode].every(isWellFormedText)) {
      throw new DomainError('INVALID_CREDENTIALS', 'The email or password is not correct');
    }
    return signIn(ctx, await ctx.services.accounts.login(input.email, input.password, input.twoFactorCode, ctx));
  }

  @Mutation(() => Boolean, { description: 'Revokes the session of the token used.' })
  logout(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accounts.logout(ctx);
  }

  @Mutation(() => Boolean, {
    description: 'The signed-in customer; false when the email is verified already. The token goes out as a customer.verification_requested event.',
  })
  requestEmailVerification(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accounts.requestEmailVerification(asCustomer(ctx.viewer).customerId, ctx);
  }

  @Mutation(() => Customer)
  verifyEmail(@Arg('token', () => String) token: string, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<CustomerRecord> {
    // The emailed token proves the address, not the account: a caller who is not signed in
    // reads back the customer's own fields only. Checked before the token is used: selecting
    // more (addresses, statistics, ...) used to commit the verification and then answer
    // data: null, those fields refusing an anonymous caller.
    if (ctx.viewer.kind === 'anonymous') {
      const more = beyondOwnFields(info);
      if (more.length) {
        throw new DomainError('UNAUTHENTICATED', `Sign in to read ${more.join(', ')} of the customer; the token was not used`);
      }
    }
    return ctx.services.accounts.verifyEmail(token, ctx);
  }

  @Mutation(() => Boolean, { description: 'Always true, whether or not the email exists.' })
  async requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: Context): Promise<boolean> {
    // No account has such an address; the answer is the same as for any unknown one.
    if (!isWellFormedText(email)) return true;
    return ctx.services.accounts.requestPasswordReset(email, ctx);
  }

  @Mutation(() => Boolean)
  resetPassword(@Arg('token', () => String) token: string, @Arg('newPassword', () => String) newPassword: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accounts.resetPassword(token, newPassword, ctx);
  }

  @Mutation(() => Boolean)
  changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accounts.changePassword(currentPassword, newPassword, ctx);
  }
}

/** Selected fields of the answer that are not its own values (other objects, lists of them). */
function beyondOwnFields(info: GraphQLResolveInfo): string[] {
  const fields = (getNamedType(info.returnType) as GraphQLObjectType).getFields();
  return [...selectedFields(info)].filter((name) => fields[name] && !isLeafType(getNamedType(fields[name].type)));
}

function signIn(ctx: Context, result: AuthResult): AuthResult {
  if (result.viewer) ctx.viewer = result.viewer;
  return result;
}
