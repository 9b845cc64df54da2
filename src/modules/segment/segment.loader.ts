import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { SEGMENT_COLUMNS, SegmentRecord } from './segment.record';

export function segmentByIdLoader(db: Queryable) {
  return new DataLoader<string, SegmentRecord | null>(async (ids) => {
    const rows = await db.query<SegmentRecord>(`SELECT ${SEGMENT_COLUMNS} FROM customer_segments s WHERE s.id = ANY($1::uuid[])`, [ids.filter(isUuid)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * Members per segment: one grouped count over the members' primary key, never over all
 * customers. Erasure drops a customer's memberships, so no deleted customer is counted.
 */
export function segmentMemberCountLoader(db: Queryable) {
  return new DataLoader<string, number>(async (ids) => {
    const rows = await db.query<{ segmentId: string; n: number }>(
      `SELECT m.segment_id AS "segmentId", count(*)::int AS n FROM customer_segment_members m
        WHERE m.segment_id = ANY($1::uuid[]) GROUP BY m.segment_id`,
      [ids.filter(isUuid)],
    );
    const byId = new Map(rows.map((r) => [r.segmentId, r.n]));
    return ids.map((id) => byId.get(id) ?? 0);
  });
}

/** The active segments each customer belongs to, by name: one statement for a page of customers. */
export function segmentsByCustomerLoader(db: Queryable) {
  return new DataLoader<string, SegmentRecord[]>(async (customerIds) => {
    const rows = await db.query<SegmentRecord & { customerId: string }>(
      `SELECT m.customer_id AS "customerId", ${SEGMENT_COLUMNS}
         FROM customer_segment_members m JOIN customer_segments s ON s.id = m.segment_id AND s.is_active
        WHERE m.customer_id = ANY($1::uuid[]) ORDER BY s.name, s.id`,
      [customerIds.filter(isUuid)],
    );
    const byCustomer = new Map<string, SegmentRecord[]>();
    for (const { customerId, ...segment } of rows) {
      const list = byCustomer.get(customerId) ?? [];
      list.push(segment);
      byCustomer.set(customerId, list);
    }
    return customerIds.map((id) => byCustomer.get(id) ?? []);
  });
}
