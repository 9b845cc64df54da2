import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The login lockout moves out of `customer_credentials` into a table keyed by a keyed hash of
 * the email that was typed, known or not: an unknown email is then locked after as many
 * guesses as a known one, so the lockout no longer tells which emails have accounts. It also
 * counts attempts in flight apart from failures, so parallel correct logins are never told
 * the account is locked (README "Accounts and two-factor").
 */
export class LoginLockouts1764500000000 implements MigrationInterface {
  name = 'LoginLockouts1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_lockouts (
        -- HMAC-SHA256 of the lower-cased email: no email is stored, and without the key the
        -- hashes cannot be matched against a list of addresses.
        key            BYTEA PRIMARY KEY,
        -- Failed attempts since window_start; reset by a success, by a lockout, and once the window has passed.
        failed_count   INT NOT NULL DEFAULT 0,
        window_start   TIMESTAMPTZ,
        -- Attempts charged whose password is still being compared (a crashed one is forgotten after a minute).
        in_flight      INT NOT NULL DEFAULT 0,
        in_flight_at   TIMESTAMPTZ,
        locked_until   TIMESTAMPTZ,
        -- Lockouts since the last success: each doubles the next one, up to a maximum.
        lockout_count  INT NOT NULL DEFAULT 0,
        -- During a lock: logins with a valid second factor but a wrong password (a small budget).
        bypass_failures INT NOT NULL DEFAULT 0,
        updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX idx_login_lockouts_updated ON login_lockouts (updated_at)');
    await q.query(`
      ALTER TABLE customer_credentials
        DROP COLUMN failed_login_count, DROP COLUMN failure_window_start, DROP COLUMN locked_until, DROP COLUMN lockout_count`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customer_credentials
        ADD COLUMN failed_login_count INT NOT NULL DEFAULT 0, ADD COLUMN failure_window_start TIMESTAMPTZ,
        ADD COLUMN locked_until TIMESTAMPTZ, ADD COLUMN lockout_count INT NOT NULL DEFAULT 0`);
    await q.query('DROP TABLE login_lockouts');
  }
}
