import type { Database, Queryable } from '../../db/database';
import { DomainError } from '../../errors/domain-error';

export interface LockoutPolicy {
  maxFailedLogins: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

/** A charged attempt: settle it with `failed` or `succeeded` (or `release` when it never got compared). */
export type Charge = { kind: 'charged'; key: Buffer } | { kind: 'locked'; key: Buffer; lockedUntil: Date; bypassLeft: boolean };

/** An attempt in flight longer than this is taken for one whose process died mid-compare. */
const IN_FLIGHT_STALE_SECONDS = 60;
/** How long an attempt waits for attempts in flight to be decided before it gives up. */
const WAIT_FOR_BUDGET_MS = 10_000;
/** Per lock: logins that passed the second factor but typed a wrong password. */
const MAX_BYPASS_FAILURES = 3;

/**
 * The login lockout (README "Accounts and two-factor"), in `login_lockouts`, keyed by a keyed
 * hash of the email typed: unknown emails are counted and locked exactly like known ones, so
 * neither the answers nor their timing tell which emails have accounts.
 *
 * Every attempt is *charged* before its password is compared, so parallel guesses cannot
 * outrun the count: an attempt goes ahead only while failures plus attempts in flight stay
 * under the limit. One over waits for those in flight to be decided: if they failed, the
 * lock they set answers it ACCOUNT_LOCKED; if they succeeded, the count is clear and it goes
 * ahead. So of 100 parallel wrong guesses exactly `maxFailedLogins` are compared and the rest
 * meet the lock, while 16 parallel correct logins all succeed: a correct password is told
 * ACCOUNT_LOCKED only when the row says locked.
 *
 * Only failures lock, and a lock resets the failure count, so each lockout takes
 * `maxFailedLogins` fresh failures; each doubles the next, up to lockoutMaxSeconds, until a
 * success.
 */
export class Lockout {
  constructor(
    private readonly db: Database,
    private readonly policy: LockoutPolicy,
    private readonly mac: (value: string) => Buffer,
  ) {}

  keyOf(email: string): Buffer {
    return this.mac(`login:${email.trim().toLowerCase()}`);
  }

  async charge(email: string): Promise<Charge> {
    const key = this.keyOf(email);
    const deadline = Date.now() + WAIT_FOR_BUDGET_MS;
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      const [row] = await this.db.query<{ charged: boolean; lockedUntil: Date | null }>(
        `INSERT INTO login_lockouts AS l (key, in_flight, in_flight_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE
            SET in_flight = ${liveInFlight('l')} + 1, in_flight_at = now(), updated_at = now()
          WHERE coalesce(l.locked_until <= now(), true)
            AND ${liveFailures('l', '$2')} + ${liveInFlight('l')} < $3
         RETURNING true AS charged, NULL::timestamptz AS "lockedUntil"`,
        [key, this.policy.failureWindowSeconds, this.policy.maxFailedLogins],
      );
      if (row) return { kind: 'charged', key };
      // Refused: locked, or the budget is taken by attempts still being compared.
      const [state] = await this.db.query<{ lockedUntil: Date | null; bypassLeft: boolean }>(
        `SELECT CASE WHEN locked_until > now() THEN locked_until END AS "lockedUntil", bypass_failures < $2 AS "bypassLeft"
           FROM login_lockouts WHERE key = $1`,
        [key, MAX_BYPASS_FAILURES],
      );
      if (state?.lockedUntil) return { kind: 'locked', key, lockedUntil: state.lockedUntil, bypassLeft: state.bypassLeft };
      if (Date.now() + pause > deadline) {
        throw new DomainError('RATE_LIMITED', 'Too many sign-in attempts for this account at once; try again', undefined, { retryAfterSeconds: 1 });
      }
      await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    }
  }

  /** A wrong password: counted, and the failure that reaches the limit locks. Answers the lock it set, if it did. */
  async failed(key: Buffer): Promise<Date | null> {
    const { maxFailedLogins, failureWindowSeconds, lockoutSeconds, lockoutMaxSeconds } = this.policy;
    const failures = `(${liveFailures('l', '$2')} + 1)`;
    const [row] = await this.db.query<{ lockedNow: Date | null }>(
      `UPDATE login_lockouts l
          SET in_flight = greatest(${liveInFlight('l')} - 1, 0),
              failed_count = CASE WHEN ${failures} >= $3 THEN 0 ELSE ${failures} END,
              window_start = CASE WHEN ${failures} >= $3 THEN NULL WHEN ${failures} = 1 THEN now() ELSE l.window_start END,
              locked_until = CASE WHEN ${failures} >= $3
                                  THEN now() + make_interval(secs => least($5::float8, $4::float8 * power(2, least(l.lockout_count, 30))))
                                  ELSE l.locked_until END,
              lockout_count = l.lockout_count + CASE WHEN ${failures} >= $3 THEN 1 ELSE 0 END,
              bypass_failures = CASE WHEN ${failures} >= $3 THEN 0 ELSE l.bypass_failures END,
              updated_at = now()
        WHERE l.key = $1
    RETURNING CASE WHEN l.failed_count = 0 THEN l.locked_until END AS "lockedNow"`, // (the new row: only a lock resets the count to 0)
      [key, failureWindowSeconds, maxFailedLogins, lockoutSeconds, lockoutMaxSeconds],
    );
    return row?.lockedNow ?? null;
  }

  /**
   * A correct password: the failures are forgotten. No lock can be lifted by it: while this
   * attempt was in flight, failures stayed below the limit. `lift` (a login that also passed
   * its second factor while locked) ends a lock too.
   */
  async succeeded(key: Buffer, { lift = false } = {}): Promise<void> {
    await this.db.query(
      `UPDATE login_lockouts l
          SET in_flight = greatest(${liveInFlight('l')} - ${lift ? 0 : 1}, 0), failed_count = 0, window_start = NULL, lockout_count = 0, bypass_failures = 0,
              locked_until = CASE WHEN $2 THEN NULL ELSE l.locked_until END, updated_at = now()
        WHERE l.key = $1`,
      [key, lift],
    );
  }

  /**
   * A login past the lock with a valid second factor and a wrong password: whoever holds the
   * factor gets MAX_BYPASS_FAILURES password guesses per lock, no more.
   */
  async bypassFailed(key: Buffer): Promise<void> {
    await this.db.query('UPDATE login_lockouts SET bypass_failures = bypass_failures + 1, updated_at = now() WHERE key = $1', [key]);
  }

  /** An attempt charged but never compared (the request failed in between). */
  async release(key: Buffer): Promise<void> {
    await this.db.query(`UPDATE login_lockouts l SET in_flight = greatest(${liveInFlight('l')} - 1, 0) WHERE l.key = $1`, [key]);
  }

  /** A new password (reset by email, changed, erased): whatever was guessed at the old one no longer matters. */
  async forget(tx: Queryable, email: string): Promise<void> {
    await tx.query('DELETE FROM login_lockouts WHERE key = $1', [this.keyOf(email)]);
  }

  /** Rows with nothing left to remember: no lock, no failure in the window, nothing in flight, quiet for a day at least. */
  async prune(): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM login_lockouts
        WHERE greatest(updated_at, locked_until) < now() - make_interval(secs => greatest($1::float8, $2::float8, 86400))
          AND coalesce(locked_until <= now(), true)
    RETURNING 1`,
      [this.policy.failureWindowSeconds, this.policy.lockoutMaxSeconds],
    );
    return rows.length;
  }
}

/** Failures still inside the window. */
function liveFailures(t: string, windowParam: string): string {
  return `(CASE WHEN ${t}.window_start > now() - make_interval(secs => ${windowParam}) THEN ${t}.failed_count ELSE 0 END)`;
}

/** Attempts in flight that are not stale. */
function liveInFlight(t: string): string {
  return `(CASE WHEN ${t}.in_flight_at > now() - interval '${IN_FLIGHT_STALE_SECONDS} seconds' THEN ${t}.in_flight ELSE 0 END)`;
}
