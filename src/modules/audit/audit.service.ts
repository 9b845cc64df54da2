import { decodeCursor, encodeCursor, isTimestampText, pageSize } from '../../common/cursor';
import type { AuditSeverity } from '../../common/enums';
import { isUuid } from '../../common/ids';
import type { PageInfo } from '../../common/page-info.type';
import type { Queryable } from '../../db/database';
import { DomainError } from '../../errors/domain-error';
// SqlParams is generic (values only ever travel as parameters); it lives with the customer
// list query for now.
import { limitClause, SqlParams } from '../../db/sql-params';
import { AUDIT_COLUMNS, AUDIT_ORDER, AuditRecord, AuditRow } from './audit.record';

export interface AuditListFilter {
  customerId?: string | null;
  eventTypes?: string[] | null;
  eventTypePrefix?: string | null;
  severity?: AuditSeverity[] | null;
  since?: Date | null;
  until?: Date | null;
}

export interface AuditEdge {
  readonly cursor: string;
  node: AuditRecord;
}

/** What AuditEventConnection resolves from. */
export interface AuditPage {
  edges: AuditEdge[];
  nodes: AuditRecord[];
  pageInfo: PageInfo;
}

/** Position in "newest first": a row's created_at (ISO 8601 UTC, microseconds) and id. */
export interface AuditKeyset {
  createdAt: string;
  id: string;
}

/** auditEvents and auditTrail share one ordering, so one tag (distinct from the customer list's). */
const CURSOR_TAG = 'AUDIT:CREATED_AT:DESC';
/** Exactly what AUDIT_SORT_KEY produces. */
const SORT_KEY_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export const AUDIT_EVENTS_DEFAULT_FIRST = 50;
export const AUDIT_TRAIL_DEFAULT_FIRST = 20;

/** Refuses (BAD_USER_INPUT on `after`) anything that is not a cursor of this ordering. */
export function decodeAuditCursor(after: string): AuditKeyset {
  const [, createdAt, id] = decodeCursor(after, CURSOR_TAG, 3);
  if (typeof createdAt !== 'string' || !SORT_KEY_TEXT.test(createdAt) || !isTimestampText(createdAt) || !isUuid(id)) {
    throw DomainError.badInput('after', 'is not a valid cursor');
  }
  return { createdAt, id };
}

/** "Strictly after the cursor" in newest-first order, as a row comparison the indexes serve. */
export function afterCondition(key: AuditKeyset, p: SqlParams): string {
  return `(e.created_at, e.id) < (${p.add(key.createdAt)}::timestamptz, ${p.add(key.id)}::uuid)`;
}

/** `limit + 1` rows in (one more tells whether there is a next page) -> a connection of `limit`. */
export function auditPage(rows: readonly AuditRow[], limit: number, after: string | null | undefined): AuditPage {
  // Cursors are encoded only if a client reads them (a getter), not for every row.
  const edges: AuditEdge[] = rows.slice(0, limit).map((node) => ({
    get cursor() {
      return encodeCursor([CURSOR_TAG, node.sortKey, node.id]);
    },
    node,
  }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * WHERE conditions for an AuditEventFilter, values as parameters only. An empty list
 * (eventTypes: [], severity: []) does not filter, as in CustomerFilter.status. Null when the
 * filter cannot match anything (a customerId that is not a UUID), saving the round trip.
 */
export function auditFilterConditions(filter: AuditListFilter | null | undefined, p: SqlParams): string[] | null {
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

/** The read side of the audit trail. Rows are written by the mutations, in their transactions. */
export class AuditService {
  constructor(private readonly db: Queryable) {}

  /** Query.auditEvents: newest first, keyset pagination on (created_at, id). */
  async list(filter: AuditListFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<AuditPage> {
    const limit = pageSize(first, AUDIT_EVENTS_DEFAULT_FIRST);
    const key = after ? decodeAuditCursor(after) : null; // a malformed cursor is refused even when nothing could match
    const p = new SqlParams();
    const where = auditFilterConditions(filter, p);
    if (!where) return auditPage([], limit, after);
    if (key) where.push(afterCondition(key, p));
    const rows = await this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events e
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${AUDIT_ORDER} LIMIT ${limitClause(limit + 1)}`,
      p.values,
    );
    return auditPage(rows, limit, after);
  }

  /** One row, for the live feed (auditEventRecorded resolves each notice to its row). */
  async byId(id: string): Promise<AuditRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_events e WHERE e.id = $1`, [id]);
    return row ?? null;
  }
}
