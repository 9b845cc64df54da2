import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts: password credentials with the login lockout (the original service's migration
 * 022), sessions, single-use email/password tokens, TOTP two-factor and recovery codes.
 *
 * Secrets live in their own tables, not in `customers`: no profile read can select them by
 * accident, and erasure removes them by deleting rows. Every table cascades from customers.
 */
export class Accounts1764300000000 implements MigrationInterface {
  name = 'Accounts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customer_credentials (
        customer_id          UUID PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
        password_hash        TEXT NOT NULL,
        password_changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        -- Lockout: failures counted within a window; each lockout doubles the next one.
        failed_login_count   INT NOT NULL DEFAULT 0,
        failure_window_start TIMESTAMPTZ,
        locked_until         TIMESTAMPTZ,
        lockout_count        INT NOT NULL DEFAULT 0,
        last_login_at        TIMESTAMPTZ,
        created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE customer_sessions (
        id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        expires_at  TIMESTAMPTZ NOT NULL,
        revoked_at  TIMESTAMPTZ,
        ip_address  INET,
        user_agent  TEXT
      )`);
    await q.query('CREATE INDEX idx_customer_sessions_customer ON customer_sessions (customer_id) WHERE revoked_at IS NULL');

    // Only a SHA-256 of each token is kept; the token itself leaves through the outbox event.
    await q.query(`
      CREATE TABLE customer_tokens (
        id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        purpose     VARCHAR(30) NOT NULL CHECK (purpose IN ('EMAIL_VERIFICATION', 'PASSWORD_RESET')),
        token_hash  BYTEA NOT NULL CONSTRAINT uq_customer_tokens_hash UNIQUE,
        -- The address a verification token was sent to: a changed email voids it.
        email       VARCHAR(255),
        expires_at  TIMESTAMPTZ NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX idx_customer_tokens_customer ON customer_tokens (customer_id, purpose)');

    // The TOTP secret is AES-256-GCM ciphertext (iv | tag | data); confirmed_at null = enrolment pending.
    await q.query(`
      CREATE TABLE customer_two_factor (
        customer_id       UUID PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
        secret_ciphertext BYTEA NOT NULL,
        confirmed_at      TIMESTAMPTZ,
        last_used_step    BIGINT,
        failed_attempts   INT NOT NULL DEFAULT 0,
        locked_until      TIMESTAMPTZ,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE customer_recovery_codes (
        customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
        code_hash   BYTEA NOT NULL,
        used_at     TIMESTAMPTZ,
        PRIMARY KEY (customer_id, code_hash)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customer_recovery_codes');
    await q.query('DROP TABLE customer_two_factor');
    await q.query('DROP TABLE customer_tokens');
    await q.query('DROP TABLE customer_sessions');
    await q.query('DROP TABLE customer_credentials');
  }
}
