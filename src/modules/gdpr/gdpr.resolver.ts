import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { policy } from '../../auth/policy';
import { CustomerStatus } from '../../common/enums';
import { JSONScalar } from '../../common/scalars';
import type { Context } from '../../context/context';
import { customerKey } from '../customer/customer.loader';
import type { DeletionReceiptRecord } from './gdpr.service';
import { DeletionReceipt } from './gdpr.type';

const STATUS_ONLY: ReadonlySet<string> = new Set(['status']);

/** GDPR erasure and export: the customer themselves or an ADMIN (src/auth/rules.ts). */
@Resolver()
export class GdprResolver {
  @Mutation(() => DeletionReceipt, {
    description:
      'GDPR erasure: OWNER or ADMIN. Personal data is anonymised, never recoverable. A customer erasing their own account confirms with `password` (or `twoFactorCode` when two-factor is on).',
  })
  async deleteCustomer(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg('password', () => String, { nullable: true, description: "OWNER: the account's password." }) password?: string | null,
    @Arg('twoFactorCode', () => String, { nullable: true, description: 'OWNER: instead of the password, a TOTP or recovery code when two-factor is on.' })
    twoFactorCode?: string | null,
  ): Promise<DeletionReceiptRecord> {
    if (!policy.isAdmin(ctx.viewer)) {
      // Erasing twice answers the first receipt: an erased account has nothing left to confirm
      // with (no password row, no factor), and asking would refuse its owner.
      const current = await ctx.loaders.customerById.load(customerKey(id, STATUS_ONLY, true));
      if (current && current.status !== CustomerStatus.DELETED) await ctx.services.accounts.confirmIdentity(id, password, twoFactorCode, ctx);
    }
    return ctx.services.gdpr.erase(id, ctx);
  }

  @Mutation(() => JSONScalar, {
    description:
      'GDPR portability: OWNER or ADMIN. Every record held about the customer, as one versioned JSON document; the audit trail comes in pages of 1000 (continue with auditAfter = auditTrail.nextCursor).',
  })
  exportCustomerData(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg('auditAfter', () => String, { nullable: true, description: 'Continues the audit trail after this cursor.' }) auditAfter?: string | null,
  ): Promise<Record<string, unknown>> {
    return ctx.services.gdpr.export(id, auditAfter, ctx);
  }
}
