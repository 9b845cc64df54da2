import { CustomerOrderField, CustomerStatus, CustomerType, SortDirection } from '../../common/enums';
import { decodeCursor, encodeCursor, isTimestampText } from '../../common/cursor';
import { isUuid } from '../../common/ids';
import { SqlParams } from '../../db/sql-params';
import { DomainError } from '../../errors/domain-error';
import { SegmentRepository } from '../segment/segment.repository';

const segments = new SegmentRepository();

export interface CustomerListFilter {
  status?: CustomerStatus[] | null;
  customerType?: CustomerType | null;
  groupId?: string | null;
  segmentId?: string | null;
  search?: string | null;
  emailVerified?: boolean | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export interface CustomerListOrder {
  field: CustomerOrderField;
  direction: SortDirection;
}

/** Sort key per ordering: the SQL expression (matching an index), and how a cursor value is cast back. */
const SORT_KEYS: Record<CustomerOrderField, { expr: string; cast: string }> = {
  CREATED_AT: { expr: 'c.created_at', cast: 'timestamptz' },
  EMAIL: { expr: 'c.email', cast: 'text' },
  LAST_NAME: { expr: "coalesce(c.last_name, '')", cast: 'text' },
};

const NAME_VECTOR = "to_tsvector('simple', coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))";

/**
 * WHERE conditions for a CustomerFilter. Deleted customers are always excluded, so neither
 * the list nor its count ever runs over erased rows. Returns null when the filter cannot
 * match anything (an id that is not a UUID), saving the round trip.
 */
export function filterConditions(filter: CustomerListFilter | null | undefined, p: SqlParams): string[] | null {
  const where = ['c.deleted_at IS NULL'];
  if (!filter) return where;
  if (filter.segmentId != null) {
    if (!isUuid(filter.segmentId)) return null;
    // Members of an active segment: the segment repository's condition.
    where.push(segments.activeMemberCondition(p, filter.segmentId));
  }
  if (filter.status?.length) where.push(`c.status = ANY(${p.add(filter.status)}::text[])`);
  if (filter.customerType) where.push(`c.customer_type = ${p.add(filter.customerType)}`);
  if (filter.groupId != null) {
    if (!isUuid(filter.groupId)) return null;
    where.push(`c.group_id = ${p.add(filter.groupId)}::uuid`);
  }
  if (typeof filter.emailVerified === 'boolean') where.push(`c.email_verified = ${p.add(filter.emailVerified)}`);
  if (filter.createdAfter) where.push(`c.created_at > ${p.add(filter.createdAfter)}`);
  if (filter.createdBefore) where.push(`c.created_at < ${p.add(filter.createdBefore)}`);
  if (filter.search) where.push(searchCondition(filter.search, p));
  return where;
}

/**
 * Name words match as prefixes through the full-text index ("ann smi" finds Anna Smith);
 * the whole string also matches as an email prefix.
 */
function searchCondition(search: string, p: SqlParams): string {
  const text = search.trim().toLowerCase();
  const emailPrefix = `${p.add(text.replace(/[\\%_]/g, (ch) => `\\${ch}`) + '%')}`;
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean)
    .slice(0, 8);
  const emailMatch = `c.email LIKE ${emailPrefix}`;
  if (words.length === 0) return emailMatch;
  const tsquery = p.add(words.map((w) => `${w}:*`).join(' & '));
  return `(${NAME_VECTOR} @@ to_tsquery('simple', ${tsquery}) OR ${emailMatch})`;
}

export interface KeysetPage {
  where: string[];
  orderBy: string;
  sortKeySelect: string;
  tag: string;
}

/** Keyset pagination: `(sortKey, id)` compared as a row against the cursor's values. */
export function keyset(order: CustomerListOrder, after: string | null | undefined, p: SqlParams): KeysetPage {
  const key = SORT_KEYS[order.field];
  const dir = order.direction === SortDirection.ASC ? 'ASC' : 'DESC';
  const tag = `${order.field}:${dir}`;
  const where: string[] = [];
  if (after) {
    const [, value, id] = decodeCursor(after, tag, 3);
    if (typeof value !== 'string' || !isUuid(id) || (key.cast === 'timestamptz' && !isTimestampText(value))) {
      throw DomainError.badInput('after', 'is not a valid cursor');
    }
    const cmp = dir === 'ASC' ? '>' : '<';
    where.push(`(${key.expr}, c.id) ${cmp} (${p.add(value)}::${key.cast}, ${p.add(id)}::uuid)`);
  }
  return { where, orderBy: `${key.expr} ${dir}, c.id ${dir}`, sortKeySelect: `(${key.expr})::text AS "sortKey"`, tag };
}

export function cursorFor(tag: string, sortKey: string, id: string): string {
  return encodeCursor([tag, sortKey, id]);
}
