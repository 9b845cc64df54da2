import type { AuditSeverity } from '../../common/enums';
import { ColumnMap, selectList } from '../../db/columns';

/** An audit_events row as the read side selects it (aliased `e`), keyed by AuditEvent field names. */
export interface AuditRecord {
  id: string;
  eventType: string;
  severity: AuditSeverity;
  customerId: string | null;
  resourceId: string | null;
  operation: string;
  oldValues: unknown;
  newValues: unknown;
  actorId: string | null;
  /** INET as a plain address (`host()`: no `/32` mask). */
  ipAddress: string | null;
  userAgent: string | null;
  sessionId: string | null;
  traceId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export const AUDIT_COLUMN: ColumnMap<AuditRecord> = {
  id: 'e.id',
  eventType: 'e.event_type',
  severity: 'e.severity',
  customerId: 'e.customer_id',
  resourceId: 'e.resource_id',
  operation: 'e.operation',
  oldValues: 'e.old_values',
  newValues: 'e.new_values',
  actorId: 'e.actor_id',
  ipAddress: 'host(e.ip_address)',
  userAgent: 'e.user_agent',
  sessionId: 'e.session_id',
  traceId: 'e.trace_id',
  metadata: 'e.metadata',
  createdAt: 'e.created_at',
};

/**
 * The keyset sort key: created_at as text, so a cursor keeps PostgreSQL's microseconds (a JS
 * Date would round them to milliseconds and skip or repeat rows). Formatted explicitly as
 * ISO 8601 UTC rather than `::text`, so it reads back the same whatever the session's
 * DateStyle and TimeZone, and a cursor can be checked strictly before it reaches SQL.
 */
export const AUDIT_SORT_KEY = `to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Every AuditEvent column, plus the sort key as "sortKey". */
export const AUDIT_COLUMNS = `${selectList(AUDIT_COLUMN)}, ${AUDIT_SORT_KEY} AS "sortKey"`;

/** Newest first; id breaks ties between rows of one timestamp. Matches both (created_at DESC, id DESC) indexes. */
export const AUDIT_ORDER = 'e.created_at DESC, e.id DESC';

export type AuditRow = AuditRecord & { sortKey: string };

/**
 * True when someone other than the customer (an ADMIN, a service) made this change to their
 * account: who that was, and from where, is that person's data, not the customer's. The
 * customer's own view of their trail (Customer.auditTrail, the GDPR export) leaves it out.
 */
export function actedByOther(event: Pick<AuditRecord, 'actorId'>, customerId: string): boolean {
  return event.actorId !== null && event.actorId !== customerId;
}

/** What SEES_ACTOR hides from the customer (src/auth/rules.ts): who acted, from where, in which session and trace. */
export const ACTOR_FIELDS = ['actorId', 'ipAddress', 'userAgent', 'sessionId', 'traceId'] as const;
export type ActorField = (typeof ACTOR_FIELDS)[number];

/** The event without its ACTOR_FIELDS (audit.resolver.ts answers them null alike). */
export function withoutActor<E extends AuditRecord>(event: E): E {
  const out = { ...event };
  for (const field of ACTOR_FIELDS) out[field] = null;
  return out;
}
