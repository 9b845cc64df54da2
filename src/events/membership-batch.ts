import { createHash } from 'node:crypto';
import { CloudEvent, EVENT_SOURCE } from './cloud-event';
import type { OutboxRow } from './publisher';
import { MEMBERSHIP_BATCH, MEMBERSHIP_CHANGED } from './topics';

/**
 * A set-based refresh moves hundreds of thousands of customers in one statement. Writing one
 * outbox row per change cost more than the refresh itself (each row a heap tuple and four
 * index entries), so the refresh writes one row per MEMBERSHIP_BATCH_SIZE changes and the
 * relay fans each out into the same `segment.membership_changed` CloudEvents a re-score
 * emits one by one: consumers of the stream and subscribers see no difference.
 */
export interface MembershipBatch {
  segmentId: string;
  /** ISO time of the change, shared by the whole batch. */
  time: string;
  joined: string[];
  left: string[];
}

/**
 * The event id of one change of a batch: derived from the batch row's id and the customer,
 * so a batch published twice (delivery is at least once) carries the same ids and consumers
 * can dedupe. A name-based UUID (version 8, RFC 9562) from SHA-256.
 */
export function batchEventId(batchId: string, customerId: string): string {
  const b = createHash('sha256').update(`${batchId}/${customerId}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The customers a batch row concerns (joined, then left). */
export function batchCustomers(row: OutboxRow): string[] {
  const batch = row.payload as unknown as MembershipBatch;
  return [...batch.joined, ...batch.left];
}

/** How many events a claimed row stands for. */
export function eventCount(row: OutboxRow): number {
  if (row.type !== MEMBERSHIP_BATCH) return 1;
  const batch = row.payload as unknown as MembershipBatch;
  return batch.joined.length + batch.left.length;
}

/** The rows as the events they stand for, in order: batches fanned out, the others as they are. */
export function expandBatches(rows: OutboxRow[]): OutboxRow[] {
  return rows.flatMap((row) => {
    if (row.type !== MEMBERSHIP_BATCH) return [row];
    const batch = row.payload as unknown as MembershipBatch;
    const change = (customerId: string, joined: boolean): OutboxRow => {
      const id = batchEventId(row.id, customerId);
      const payload: CloudEvent = {
        specversion: '1.0',
        id,
        source: EVENT_SOURCE,
        type: MEMBERSHIP_CHANGED,
        subject: customerId,
        time: batch.time,
        datacontenttype: 'application/json',
        data: { segmentId: batch.segmentId, customerId, joined },
      };
      return { seq: row.seq, id, customerId, type: MEMBERSHIP_CHANGED, payload, attempts: row.attempts };
    };
    return [...batch.joined.map((c) => change(c, true)), ...batch.left.map((c) => change(c, false))];
  });
}
