import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail (table and indexes of the original service's 019, with actor, session and
 * trace ids as text: staff subjects and W3C trace ids are not UUIDs) and the transactional
 * outbox (021: attempts and last_attempted_at for exponential backoff, plus a dead-letter
 * status). Outbox rows are relayed in `seq` order, which per customer is commit order
 * because every change to a customer holds that customer's row lock.
 */
export class AuditOutbox1764200000000 implements MigrationInterface {
  name = 'AuditOutbox1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        event_type  VARCHAR(100) NOT NULL,
        severity    VARCHAR(20) NOT NULL DEFAULT 'INFO' CHECK (severity IN ('DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL')),
        customer_id UUID REFERENCES customers (id) ON DELETE SET NULL,
        resource_id UUID,
        operation   VARCHAR(50) NOT NULL,
        old_values  JSONB,
        new_values  JSONB,
        user_agent  TEXT,
        ip_address  INET,
        actor_id    VARCHAR(255),
        session_id  VARCHAR(255),
        trace_id    VARCHAR(64),
        metadata    JSONB NOT NULL DEFAULT '{}',
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX idx_audit_events_customer_id ON audit_events (customer_id)');
    await q.query('CREATE INDEX idx_audit_events_event_type ON audit_events (event_type)');
    // (created_at, id) rather than created_at alone: keyset pagination, newest first.
    await q.query('CREATE INDEX idx_audit_events_created_at ON audit_events (created_at DESC, id DESC)');
    await q.query('CREATE INDEX idx_audit_events_resource_id ON audit_events (resource_id)');
    await q.query('CREATE INDEX idx_audit_events_operation ON audit_events (operation)');
    await q.query('CREATE INDEX idx_audit_events_customer_id_created_at ON audit_events (customer_id, created_at DESC, id DESC)');
    await q.query('CREATE INDEX idx_audit_events_event_type_created_at ON audit_events (event_type, created_at DESC)');
    await q.query('CREATE INDEX idx_audit_events_resource_operation ON audit_events (resource_id, operation)');

    await q.query(`
      CREATE TABLE outbox_events (
        seq               BIGSERIAL PRIMARY KEY,
        id                UUID NOT NULL CONSTRAINT uq_outbox_events_id UNIQUE,
        customer_id       UUID,
        type              VARCHAR(100) NOT NULL,
        payload           JSONB NOT NULL,
        status            VARCHAR(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
        attempts          INTEGER NOT NULL DEFAULT 0,
        last_attempted_at TIMESTAMPTZ,
        next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_error        TEXT,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        sent_at           TIMESTAMPTZ
      )`);
    await q.query("CREATE INDEX idx_outbox_pending ON outbox_events (seq) WHERE status = 'PENDING'");
    await q.query("CREATE INDEX idx_outbox_customer_pending ON outbox_events (customer_id, seq) WHERE status = 'PENDING'");
    await q.query("CREATE INDEX idx_outbox_sent ON outbox_events (sent_at) WHERE status = 'SENT'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox_events');
    await q.query('DROP TABLE audit_events');
  }
}
