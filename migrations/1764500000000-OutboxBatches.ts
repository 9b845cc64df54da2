import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Membership batches (events/membership-batch.ts) are outbox rows without a customer that the
 * relay must not overtake. It looks for the first pending one on every round: this partial
 * index keeps that look-up small however long the backlog of customer rows grows.
 */
export class OutboxBatches1764500000000 implements MigrationInterface {
  name = 'OutboxBatches1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query("CREATE INDEX idx_outbox_pending_without_customer ON outbox_events (seq) WHERE status = 'PENDING' AND customer_id IS NULL");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_outbox_pending_without_customer');
  }
}
