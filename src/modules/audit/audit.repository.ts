import type { QueryDeepPartialEntity } from 'typeorm';
import type { AuditSeverity } from '../../common/enums';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { limitClause, SqlParams } from '../../db/sql-params';
import { AuditEventEntity } from './audit.entity';
import { AUDIT_COLUMNS, AUDIT_ORDER, type AuditRecord, AuditRow } from './audit.record';

export interface AuditListFilter {
  customerId?: string | null;
  eventTypes?: string[] | null;
  eventTypePrefix?: string | null;
  severity?: AuditSeverity[] | null;
  since?: Date | null;
  until?: Date | null;
}

/** Position in "newest first": a row's created_at (ISO 8601 UTC, microseconds) and id. */
export interface AuditKeyset {
  createdAt: string;
  id: string;
}

/** An audit row to write: the row as read, with its values as objects. `createdAt`: now() when absent (always, for the unit of work's rows). */
export type AuditValues = Omit<AuditRecord, 'oldValues' | 'newValues' | 'createdAt'> & {
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  createdAt?: Date;
};

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** "Strictly after the cursor" in newest-first order, as a row comparison the indexes serve. */
function afterCondition(key: AuditKeyset, p: SqlParams): string {
  return `(e.created_at, e.id) < (${p.add(key.createdAt)}::timestamptz, ${p.add(key.id)}::uuid)`;
}

/**
 * WHERE conditions for an AuditEventFilter, values as parameters only. An empty list
 * (eventTypes: [], severity: []) does not filter, as in CustomerFilter.status. Null when the
 * filter cannot match anything (a customerId that is not a UUID), saving the round trip.
 */
function filterConditions(filter: AuditListFilter | null | undefined, p: SqlParams): string[] | null {
  const where: string[] = [];
  if (!filter) return where;
  if (filter.customerId != null) {
    if (!isUuid(filter.customerId)) return null;
    where.push(`e.customer_id = ${p.add(filter.customerId)}::uuid`);
  }
  if (filter.eventTypes?.length) where.push(`e.event_type = ANY(${p.add(filter.eventTypes)}::text[])`);
  if (filter.eventTypePrefix) where.push(`e.event_type LIKE ${p.add(escapeLike(filter.eventTypePrefix) + '%')}`);
  if (filter.severity?.length) where.push(`e.severity = ANY(${p.add(filter.severity)}::text[])`);
  if (filter.since) where.push(`e.created_at >= ${p.add(filter.since)}`);
  if (filter.until) where.push(`e.created_at < ${p.add(filter.until)}`);
  return where;
}

/**
 * `audit_events`: the only code that reads or writes it. Each method takes the database or the
 * unit of work's transaction (`Queryable`) and sends one statement unless it says otherwise.
 * Rows are written by the unit of work, in the statement that commits it (`journalInsert`).
 *
 * The reads are hand-written SQL (`manager.query`): keyset pages whose WHERE is built from
 * optional filter parts, with the LIMIT as a literal (sql-params.ts says why), the trail of
 * many customers as one LATERAL statement, which TypeORM's QueryBuilder cannot express, and
 * computed columns (AUDIT_COLUMNS: `host()`, the sort key) in every read.
 */
export class AuditRepository {
  /**
   * Query.auditEvents: newest first, strictly after `after`, at most `limit` rows. Empty, with
   * no statement sent, when the filter cannot match anything.
   */
  async page(q: Queryable, filter: AuditListFilter | null | undefined, limit: number, after: AuditKeyset | null): Promise<AuditRow[]> {
    const p = new SqlParams();
    const where = filterConditions(filter, p);
    if (!where) return [];
    if (after) where.push(afterCondition(after, p));
    return q.manager.query<AuditRow[]>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events e
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${AUDIT_ORDER} LIMIT ${limitClause(limit)}`,
      p.values,
    );
  }

  /**
   * Customer.auditTrail of many customers in one statement: each customer's newest `limit` rows
   * strictly after `after`, by customer, newest first. LATERAL + LIMIT walks the (customer_id,
   * created_at DESC, id DESC) index once per customer.
   */
  trails(q: Queryable, customerIds: readonly string[], limit: number, after: AuditKeyset | null): Promise<AuditRow[]> {
    const p = new SqlParams();
    const conditions = [`e.customer_id = k.id`];
    const ids = p.add(customerIds);
    const n = p.add(limit);
    if (after) conditions.push(afterCondition(after, p));
    return q.manager.query<AuditRow[]>(
      `SELECT ${AUDIT_COLUMNS}
         FROM unnest(${ids}::uuid[]) AS k(id)
         CROSS JOIN LATERAL (
           SELECT * FROM audit_events e WHERE ${conditions.join(' AND ')} ORDER BY ${AUDIT_ORDER} LIMIT ${n}
         ) e
        ORDER BY e.customer_id, ${AUDIT_ORDER}`,
      p.values,
    );
  }

  /**
   * One row (the live feed resolves each notice to its row). The pages' projection (`host()`,
   * the sort key), hand-written like them: QueryBuilder would read the sort key's format
   * string (`HH24:MI:SS`) as named parameters.
   */
  async byId(q: Queryable, id: string): Promise<AuditRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await q.manager.query<AuditRow[]>(`SELECT ${AUDIT_COLUMNS} FROM audit_events e WHERE e.id = $1`, [id]);
    return row ?? null;
  }

  /** Rows written on their own, outside a unit of work's closing statement. */
  async insert(q: Queryable, rows: readonly AuditValues[]): Promise<void> {
    // The entity types its JSON columns `unknown`, which TypeORM's partial type reads as "not null".
    if (rows.length) await q.manager.insert(AuditEventEntity, rows as QueryDeepPartialEntity<AuditEventEntity>[]);
  }

  /**
   * The unit of work's audit rows as the body of a data-modifying CTE, `rows` travelling as one
   * JSON parameter added to `p`: the journal (application/journal.repository.ts) writes them in
   * the statement that writes the outbox events and commits. Hand-written: TypeORM cannot put
   * an insert inside another statement, and that one statement, with the COMMIT pipelined behind
   * it, is each mutation's last round trip (what subscribers wait for). Its text is the same for
   * any number of rows, none included: one prepared statement.
   */
  journalInsert(p: SqlParams, rows: readonly AuditValues[]): string {
    return `INSERT INTO audit_events (id, event_type, severity, customer_id, resource_id, operation, old_values, new_values,
                                   user_agent, ip_address, actor_id, session_id, trace_id, metadata)
         SELECT id, "eventType", severity, "customerId", "resourceId", operation, "oldValues", "newValues",
                "userAgent", "ipAddress", "actorId", "sessionId", "traceId", coalesce(metadata, '{}')
           FROM jsonb_to_recordset(${p.add(JSON.stringify(rows))}::jsonb) AS t(id uuid, "eventType" text, severity text, "customerId" uuid,
                "resourceId" uuid, operation text, "oldValues" jsonb, "newValues" jsonb, "userAgent" text, "ipAddress" inet,
                "actorId" text, "sessionId" text, "traceId" text, metadata jsonb)`;
  }

  /**
   * Erasure (GDPR): the trail keeps what happened and when; the values, where from and with
   * what, go, from the customer's rows and from those of their own actions on others.
   */
  async erasePersonal(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .update(AuditEventEntity)
      // SQL NULL for the JSON columns (the entity types them `unknown`, which the partial type reads as not null).
      .set({ oldValues: () => 'NULL', newValues: () => 'NULL', ipAddress: null, userAgent: null, metadata: {} })
      .where('customer_id = :customerId OR actor_id = :customerId::text', { customerId })
      .execute();
  }

  /**
   * Deletes up to `batchSize` rows older than `retentionDays`, oldest first; answers how many.
   * Hand-written: a batch picked with `FOR UPDATE SKIP LOCKED` (replicas running the job at once
   * each delete rows the others are not deleting, without queuing) and counted in the same
   * statement.
   */
  async deleteExpired(q: Queryable, retentionDays: number, batchSize: number): Promise<number> {
    const [row] = await q.manager.query<{ n: number }[]>(
      `WITH doomed AS (
         DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events
            WHERE created_at < now() - make_interval(days => $1::int)
            ORDER BY created_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM doomed`,
      [retentionDays, batchSize],
    );
    return row.n;
  }
}
