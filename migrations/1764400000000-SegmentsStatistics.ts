import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rules-based segments with their memberships, and per-customer order statistics fed by the
 * order service's events (with a ledger of the orders already counted, so a replayed stream
 * changes nothing).
 */
export class SegmentsStatistics1764400000000 implements MigrationInterface {
  name = 'SegmentsStatistics1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customer_segments (
        id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        name              VARCHAR(100) NOT NULL,
        description       VARCHAR(500),
        is_active         BOOLEAN NOT NULL DEFAULT TRUE,
        -- [{field, operator, value, weight}], checked against each field's type before it is stored.
        rules             JSONB NOT NULL,
        min_score         INT NOT NULL DEFAULT 1,
        last_refreshed_at TIMESTAMPTZ,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX uq_customer_segments_name ON customer_segments (lower(name))');
    // No foreign keys here, on purpose: a refresh inserts hundreds of thousands of rows at once,
    // and the per-row checks were most of its time (5 of 8 s for 300,000 joiners). The service
    // removes memberships itself: with their segment (deleteSegment) and with erasure.
    await q.query(`
      CREATE TABLE customer_segment_members (
        segment_id  UUID NOT NULL,
        customer_id UUID NOT NULL,
        joined_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, customer_id)
      )`);
    await q.query('CREATE INDEX idx_segment_members_customer ON customer_segment_members (customer_id)');

    // Amounts are exact decimals in the shop currency; the average is derived, never stored.
    await q.query(`
      CREATE TABLE customer_statistics (
        customer_id    UUID PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
        total_orders   INT NOT NULL DEFAULT 0 CHECK (total_orders >= 0),
        total_spent    NUMERIC(14, 2) NOT NULL DEFAULT 0 CHECK (total_spent >= 0),
        currency_code  CHAR(3) NOT NULL,
        first_order_at TIMESTAMPTZ,
        last_order_at  TIMESTAMPTZ,
        updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // One row per order and kind: (order id, kind) is the idempotency key. A REFUNDED row holds
    // the order's total refunded so far; statistics are a function of these rows.
    await q.query(`
      CREATE TABLE customer_order_ledger (
        order_id      VARCHAR(100) NOT NULL,
        kind          VARCHAR(20) NOT NULL CHECK (kind IN ('COMPLETED', 'REFUNDED')),
        customer_id   UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        amount        NUMERIC(14, 2) NOT NULL CHECK (amount >= 0),
        currency_code CHAR(3) NOT NULL,
        occurred_at   TIMESTAMPTZ NOT NULL,
        applied_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (order_id, kind)
      )`);
    await q.query('CREATE INDEX idx_order_ledger_customer ON customer_order_ledger (customer_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customer_order_ledger');
    await q.query('DROP TABLE customer_statistics');
    await q.query('DROP TABLE customer_segment_members');
    await q.query('DROP TABLE customer_segments');
  }
}
