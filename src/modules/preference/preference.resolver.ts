import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { sees } from '../../auth/authorize';
import { pageSize } from '../../common/cursor';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import type { ConsentRecordRow, PreferencesRecord } from './preference.record';
import { PreferencesInput } from './preference.input';
import { ConsentRecord, CustomerPreferences } from './preference.type';

@Resolver(() => CustomerPreferences)
export class PreferenceResolver {
  @Mutation(() => CustomerPreferences)
  updatePreferences(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('input', () => PreferencesInput) input: PreferencesInput,
    @Ctx() ctx: Context,
  ): Promise<PreferencesRecord> {
    return ctx.services.preferences.update(customerId, input, ctx.viewer, ctx.meta);
  }

  @FieldResolver(() => [ConsentRecord], { description: 'Proof of consent: every grant or withdrawal, newest first, kept after the flag changes.' })
  consentLog(@Root() p: PreferencesRecord, @Ctx() ctx: Context, @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null) {
    return ctx.loaders.consentLog.load(`${p.customerId}:${pageSize(first, 20)}`);
  }
}

@Resolver(() => ConsentRecord)
export class ConsentRecordResolver {
  // A customer sees that an ADMIN or a service changed a consent, not from where (as in their
  // audit trail and their GDPR export); a service sees no address at all: SEES_CONSENT_ADDRESS
  // in src/auth/rules.ts.
  @FieldResolver(() => String, { nullable: true })
  ipAddress(@Root() r: ConsentRecordRow, @Ctx() ctx: Context): string | null {
    return sees('ConsentRecord.ipAddress', ctx.viewer, r) ? r.ipAddress : null;
  }
}

@Resolver(() => Customer)
export class CustomerPreferencesFieldResolver {
  @FieldResolver(() => CustomerPreferences)
  preferences(@Root() c: CustomerRecord, @Ctx() ctx: Context) {
    return c.preferences ?? ctx.loaders.preferencesByCustomer.load(c.id);
  }
}
