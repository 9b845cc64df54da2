import { AuditSeverity, CustomerStatus } from '../../common/enums';
import { ERASED_EMAIL_DOMAIN } from '../../common/email';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { Transactor, UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { MEMBERSHIP_CHANGED } from '../../events/topics';
import { AddressRepository } from '../address/address.repository';
import { actedByOther } from '../audit/audit.record';
import type { AuditService } from '../audit/audit.service';
import type { Lockout } from '../auth/lockout';
import { lockActiveSegments } from '../segment/segment.service';
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
  preferences: PreferenceRepository;
  statistics: StatisticsRepository;
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
      preferences: new PreferenceRepository(),
      statistics: new StatisticsRepository(),
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
      if (!customer) throw DomainError.notFound('Customer');
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
        segments: await q.query(
          `SELECT s.id, s.name, m.joined_at AS "joinedAt" FROM customer_segment_members m JOIN customer_segments s ON s.id = m.segment_id
            WHERE m.customer_id = $1 ORDER BY s.name`,
          [customerId],
        ),
        // statistics, orders (the ledger)
        ...(await this.own.statistics.exportPersonal(q, customerId)),
        account:
          (
            await q.query(
              'SELECT password_changed_at AS "passwordChangedAt", last_login_at AS "lastLoginAt" FROM customer_credentials WHERE customer_id = $1',
              [customerId],
            )
          )[0] ?? null,
        // Sessions without tokens (tokens are never stored); two-factor without its secret.
        sessions: await q.query(
          `SELECT id, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", host(ip_address) AS "ipAddress", user_agent AS "userAgent"
             FROM customer_sessions WHERE customer_id = $1 ORDER BY created_at, id`,
          [customerId],
        ),
        twoFactor: (
          await q.query(
            `SELECT confirmed_at IS NOT NULL AS enabled, created_at AS "enrolledAt", confirmed_at AS "confirmedAt",
                  (SELECT count(*)::int FROM customer_recovery_codes r WHERE r.customer_id = f.customer_id AND r.used_at IS NULL) AS "recoveryCodesLeft"
             FROM customer_two_factor f WHERE f.customer_id = $1`,
            [customerId],
          )
        )[0] ?? { enabled: false },
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
      events.push(...page.nodes.map((e) => (actedByOther(e, customerId) ? { ...e, actorId: null, ipAddress: null, userAgent: null } : e)));
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
  for (const table of ['customer_sessions', 'customer_tokens', 'customer_recovery_codes', 'customer_two_factor', 'customer_credentials']) {
    await q.query(`DELETE FROM ${table} WHERE customer_id = $1`, [customerId]);
  }
  // Preferences all off, the consent log without IPs.
  await own.preferences.erasePersonal(q, customerId);
  // Statistics and the order ledger are kept (no statement).
  await own.statistics.erasePersonal(q, customerId);
  // The trail keeps what happened and when; who it was, and every value, go.
  await q.query(
    `UPDATE audit_events SET old_values = NULL, new_values = NULL, ip_address = NULL, user_agent = NULL, metadata = '{}'
      WHERE customer_id = $1 OR actor_id = $1::text`,
    [customerId],
  );
  // Waits for any segment refresh in progress, which could otherwise put a membership back.
  await lockActiveSegments(q);
  const left = await q.query<{ segmentId: string }>('DELETE FROM customer_segment_members WHERE customer_id = $1 RETURNING segment_id AS "segmentId"', [
    customerId,
  ]);
  for (const { segmentId } of left) w.emit({ type: MEMBERSHIP_CHANGED, customerId, data: { segmentId, customerId, joined: false } });
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
