import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { SegmentRecord } from './segment.record';
import { SegmentRepository } from './segment.repository';

const segments = new SegmentRepository();

export function segmentByIdLoader(db: Queryable) {
  return new DataLoader<string, SegmentRecord | null>(async (ids) => {
    const byId = new Map((await segments.byIds(db, ids.filter(isUuid))).map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * Members per segment: one grouped count over the members' primary key, never over all
 * customers. Erasure drops a customer's memberships, so no deleted customer is counted.
 */
export function segmentMemberCountLoader(db: Queryable) {
  return new DataLoader<string, number>(async (ids) => {
    const counts = await segments.memberCounts(db, ids.filter(isUuid));
    return ids.map((id) => counts.get(id) ?? 0);
  });
}

/** The active segments each customer belongs to, by name: one statement for a page of customers. */
export function segmentsByCustomerLoader(db: Queryable) {
  return new DataLoader<string, SegmentRecord[]>(async (customerIds) => {
    const rows = await segments.activeSegmentsOf(db, customerIds.filter(isUuid));
    const byCustomer = new Map<string, SegmentRecord[]>();
    for (const { customerId, ...segment } of rows) {
      const list = byCustomer.get(customerId) ?? [];
      list.push(segment);
      byCustomer.set(customerId, list);
    }
    return customerIds.map((id) => byCustomer.get(id) ?? []);
  });
}
