import type { Database, Queryable } from '../../db/database';

export interface LockoutPolicy {
  maxFailedLogins: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

/** `count`: the failure count this attempt brought the account to. */
export type Charge =
  | { kind: 'charged'; count: number; lockedNow: boolean; lockedUntil: Date | null }
  | { kind: 'locked'; lockedUntil: Date }
  /** The account has no password any more (erased since it was looked up). */
  | { kind: 'gone' };

/**
 * The login lockout, kept in `customer_credentials` (the original service's migration 022).
 *
 * Every attempt is *charged* before its password is compared: one UPDATE raises the
 * failure counter, and the attempt that reaches the limit also sets `locked_until`. The row
 * lock serialises concurrent attempts and PostgreSQL re-checks the WHERE clause after
 * waiting, so of 100 parallel guesses exactly `maxFailedLogins` get compared and the rest
 * meet the lock. A correct password then clears the charge (`reset`).
 *
 * Each lockout doubles the next one (lockout_count), up to lockoutMaxSeconds.
 */
export class Lockout {
  constructor(
    private readonly db: Database,
    private readonly policy: LockoutPolicy,
  ) {}

  async charge(customerId: string): Promise<Charge> {
    const { maxFailedLogins, failureWindowSeconds, lockoutSeconds, lockoutMaxSeconds } = this.policy;
    const [row] = await this.db.query<{ count: number; lockedUntil: Date | null }>(
      `WITH cur AS (
         SELECT customer_id,
                CASE WHEN failure_window_start IS NULL OR failure_window_start <= now() - make_interval(secs => $2)
                     THEN 1 ELSE failed_login_count + 1 END AS n,
                CASE WHEN failure_window_start IS NULL OR failure_window_start <= now() - make_interval(secs => $2)
                     THEN now() ELSE failure_window_start END AS window_start
           FROM customer_credentials
          WHERE customer_id = $1 AND (locked_until IS NULL OR locked_until <= now())
            FOR UPDATE)
       UPDATE customer_credentials cr
          SET failed_login_count = cur.n,
              failure_window_start = cur.window_start,
              locked_until = CASE WHEN cur.n >= $3
                                  THEN now() + make_interval(secs => least($5::float8, $4::float8 * power(2, least(cr.lockout_count, 30))))
                                  ELSE NULL END,
              lockout_count = cr.lockout_count + (CASE WHEN cur.n >= $3 THEN 1 ELSE 0 END),
              updated_at = now()
         FROM cur
        WHERE cr.customer_id = cur.customer_id
    RETURNING cur.n AS count, cr.locked_until AS "lockedUntil"`,
      [customerId, failureWindowSeconds, maxFailedLogins, lockoutSeconds, lockoutMaxSeconds],
    );
    if (row) return { kind: 'charged', count: row.count, lockedNow: row.lockedUntil !== null, lockedUntil: row.lockedUntil };
    const [locked] = await this.db.query<{ lockedUntil: Date }>(
      'SELECT locked_until AS "lockedUntil" FROM customer_credentials WHERE customer_id = $1',
      [customerId],
    );
    return locked ? { kind: 'locked', lockedUntil: locked.lockedUntil } : { kind: 'gone' };
  }

  /**
   * A correct password: the counters start again from zero, but only if no other attempt was
   * charged since this one (compare-and-clear). Otherwise a guessing burst running beside the
   * owner's login could have its lockout lifted by the owner's success.
   */
  async clear(tx: Queryable, customerId: string, charged: number): Promise<void> {
    await tx.query(
      `UPDATE customer_credentials
          SET failed_login_count = 0, failure_window_start = NULL, locked_until = NULL, lockout_count = 0, updated_at = now()
        WHERE customer_id = $1 AND failed_login_count = $2`,
      [customerId, charged],
    );
  }
}
