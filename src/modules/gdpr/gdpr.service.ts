import { AuditSeverity, CustomerStatus } from '../../common/enums';
import { ERASED_EMAIL_DOMAIN } from '../../common/email';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { policy } from '../../auth/policy';
import { Transactor, UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { MEMBERSHIP_CHANGED } from '../../events/topics';
import { AddressRepository } from '../address/address.repository';
import { AuditRepository } from '../audit/audit.repository';
import { AuthRepository } from '../auth/auth.repository';
import { actedByOther, type AuditRow, withoutActor } from '../audit/audit.record';
import type { AuditService } from '../audit/audit.service';
import type { Lockout } from '../auth/lockout';
import { SegmentRepository } from '../segment/segment.repository';
import { CustomerRepository } from '../customer/customer.repository';
import { GroupRepository } from '../group/group.repository';
import type { PreferencesRecord } from '../preference/preference.record';
import { ConsentExportRow, PreferenceRepository } from '../preference/preference.repository';
import { StatisticsRepository } from '../statistics/statistics.repository';
import { WishlistRepository } from '../wishlist/wishlist.repository';

export interface DeletionReceiptRecord {
  customerId: string;
  deletedAt: Date;
  anonymized: boolean;
}

/** Version of the export document; raised when its shape changes. */
export const EXPORT_FORMAT_VERSION = 1;
/** Audit rows per export call; a longer trail continues with `auditAfter`. */
export const EXPORT_AUDIT_PAGE = 1000;

/** The repositories that erase and export their own module's personal rows. */
export interface PersonalRepositories {
  addresses: AddressRepository;
  wishlists: WishlistRepository;
  accounts: AuthRepository;
  preferences: PreferenceRepository;
  statistics: StatisticsRepository;
  auditTrail: AuditRepository;
  segments: SegmentRepository;
}

/**
 * GDPR: erasure (Article 17) and the data export (Article 20). Erasure keeps the customer's
 * id, which other subgraphs hold, and removes or anonymises everything personal in one
 * transaction (README "What we keep and why").
 */
export class GdprService {
  constructor(
    private readonly work: Transactor,
    private readonly audit: AuditService,
    private readonly lockout: Lockout,
    private readonly own: PersonalRepositories = {
      addresses: new AddressRepository(),
      wishlists: new WishlistRepository(),
      accounts: new AuthRepository(),
      preferences: new PreferenceRepository(),
      statistics: new StatisticsRepository(),
      auditTrail: new AuditRepository(),
      segments: new SegmentRepository(),
    },
    private readonly customers = new CustomerRepository(),
    private readonly groups = new GroupRepository(),
  ) {}

  async erase(customerId: string, actor: Actor): Promise<DeletionReceiptRecord> {
    if (!isUuid(customerId)) throw DomainError.notFound('Customer');
    // The erasure's own audit row must not record the person's address either.
    const anonymous: Actor = { viewer: actor.viewer, meta: { ...actor.meta, ip: null, userAgent: null } };
    return this.work.run(anonymous, async (w) => {
      const row = await this.customers.lockForErasure(w.tx, customerId);
      if (!row) throw DomainError.notFound('Customer');
      // Erasing twice answers the first receipt.
      if (row.deletedAt) return { customerId, deletedAt: row.deletedAt, anonymized: true };
      const deletedAt = await this.customers.erasePersonal(w.tx, customerId, ERASED_EMAIL_DOMAIN);
      await removePersonalRows(w, customerId, this.own);
      await this.lockout.forget(w.tx, row.email);
      w.audit({
        eventType: 'customer.profile.delete',
        severity: AuditSeverity.WARN,
        customerId,
        resourceId: customerId,
        operation: 'delete',
        newValues: { status: CustomerStatus.DELETED },
      });
      w.emit({ type: 'customer.deleted', customerId, data: { customerId } });
      return { customerId, deletedAt, anonymized: true };
    });
  }

  /**
   * One JSON document with every record held about the customer. The audit trail comes in
   * pages of EXPORT_AUDIT_PAGE rows, newest first; `auditTrail.nextCursor` continues it.
   */
  async export(customerId: string, auditAfter: string | null | undefined, actor: Actor): Promise<Record<string, unknown>> {
    if (!isUuid(customerId)) throw DomainError.notFound('Customer');
    return this.work.run(actor, async (w) => {
      const q = w.tx;
      const customer = await this.customers.exportPersonal(q, customerId);
      // An erased account is gone for its owner, as for every other mutation (and the export's
      // own audit row would record their address again); an ADMIN still sees what is kept.
      if (!customer || (customer.deletedAt && !policy.isAdmin(actor.viewer))) throw DomainError.notFound('Customer');
      const trail = await this.auditTrail(customerId, auditAfter);
      const document = {
        format: 'customer-data-export',
        version: EXPORT_FORMAT_VERSION,
        exportedAt: new Date().toISOString(),
        customer,
        group: customer.groupId ? ((await this.groups.byIds(q, [customer.groupId]))[0] ?? null) : null,
        // preferences, consentLog
        ...consentsOf(await this.own.preferences.exportPersonal(q, customerId), customerId),
        // Soft-deleted addresses are still held, so they are exported too.
        addresses: await this.own.addresses.exportPersonal(q, customerId),
        wishlist: await this.own.wishlists.exportPersonal(q, customerId),
        segments: await this.own.segments.exportPersonal(q, customerId),
        // statistics, orders (the ledger)
        ...(await this.own.statistics.exportPersonal(q, customerId)),
        // account, sessions (without tokens, never stored), twoFactor (without its secret)
        ...(await this.own.accounts.exportPersonal(q, customerId)),
        auditTrail: trail,
      };
      w.audit({ eventType: 'customer.data.export', customerId, resourceId: customerId, operation: 'export', metadata: { auditRows: trail.events.length } });
      return document;
    });
  }

  /** Up to EXPORT_AUDIT_PAGE rows of the trail, newest first, read in keyset pages (never unbounded). */
  private async auditTrail(customerId: string, after: string | null | undefined): Promise<{ events: unknown[]; nextCursor: string | null }> {
    const events: unknown[] = [];
    let cursor = after ?? null;
    for (;;) {
      const page = await this.audit.list({ customerId }, 100, cursor);
      // The rows carry their cursor's sort key (AuditRow): internal, not exported.
      for (const { sortKey: _sortKey, ...e } of page.nodes as AuditRow[]) {
        // The staff member's part of a change they made is theirs (SEES_ACTOR).
        events.push(actedByOther(e, customerId) ? withoutActor(e) : e);
      }
      cursor = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) return { events, nextCursor: null };
      if (events.length >= EXPORT_AUDIT_PAGE) return { events, nextCursor: cursor };
    }
  }
}

/**
 * Everything personal beside the customer row: removed where it serves nothing once the
 * person is gone, anonymised where the record itself must stay (consent proofs, the audit
 * trail). Segment memberships are dropped with a leave event each.
 */
async function removePersonalRows(w: UnitOfWork, customerId: string, own: PersonalRepositories): Promise<void> {
  const q: Queryable = w.tx;
  await own.addresses.erasePersonal(q, customerId);
  await own.wishlists.erasePersonal(q, customerId);
  // Sessions, one-time tokens, recovery codes, the second factor, the password.
  await own.accounts.erasePersonal(q, customerId);
  // Preferences all off, the consent log without IPs.
  await own.preferences.erasePersonal(q, customerId);
  // Statistics and the order ledger are kept (no statement).
  await own.statistics.erasePersonal(q, customerId);
  // The trail keeps what happened and when; who it was, and every value, go.
  await own.auditTrail.erasePersonal(q, customerId);
  // After the active segments' locks: a refresh in progress could otherwise put a membership back.
  const left = await own.segments.erasePersonal(q, customerId);
  for (const segmentId of left) w.emit({ type: MEMBERSHIP_CHANGED, customerId, data: { segmentId, customerId, joined: false } });
}

/** The preferences and the consent log, a consent someone else recorded (an ADMIN, a service) without their address, as in the trail. */
function consentsOf(
  { preferences, consentLog }: Awaited<ReturnType<PreferenceRepository['exportPersonal']>>,
  customerId: string,
): { preferences: PreferencesRecord | null; consentLog: Omit<ConsentExportRow, 'actorId'>[] } {
  return {
    preferences,
    consentLog: consentLog.map(({ actorId, ...record }) => (actedByOther({ actorId }, customerId) ? { ...record, ipAddress: null } : record)),
  };
}
