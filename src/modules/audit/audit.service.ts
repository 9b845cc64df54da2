import { decodeCursor, encodeCursor, isTimestampText, pageSize } from '../../common/cursor';
import { isUuid } from '../../common/ids';
import type { PageInfo } from '../../common/page-info.type';
import type { Queryable } from '../../db/database';
import { DomainError } from '../../errors/domain-error';
import type { AuditRecord, AuditRow } from './audit.record';
import { AuditKeyset, AuditListFilter, AuditRepository } from './audit.repository';

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

/** The read side of the audit trail. Rows are written by the mutations, in their transactions. */
export class AuditService {
  constructor(
    private readonly db: Queryable,
    private readonly audits = new AuditRepository(),
  ) {}

  /** Query.auditEvents: newest first, keyset pagination on (created_at, id). */
  async list(filter: AuditListFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<AuditPage> {
    const limit = pageSize(first, AUDIT_EVENTS_DEFAULT_FIRST);
    const key = after ? decodeAuditCursor(after) : null; // a malformed cursor is refused even when nothing could match
    return auditPage(await this.audits.page(this.db, filter, limit + 1, key), limit, after);
  }

  /** One row, for the live feed (auditEventRecorded resolves each notice to its row). */
  byId(id: string): Promise<AuditRow | null> {
    return this.audits.byId(this.db, id);
  }
}
