import type { Queryable } from '../../db/database';
import { LoginLockoutEntity } from './auth.entity';

/** An attempt in flight longer than this is taken for one whose process died mid-compare. */
const IN_FLIGHT_STALE_SECONDS = 60;

/** The counting rules of lockout.ts, in the units the statements need. */
export interface LockoutLimits {
  maxFailedLogins: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

/**
 * `login_lockouts`: the only code that reads or writes it. Rows are keyed by a keyed hash of
 * the email typed (lockout.ts makes it). Each method takes the database or a transaction
 * (`Queryable`) and sends one statement.
 *
 * The counting is hand-written SQL on purpose: every charge and every settlement is one
 * atomic statement deciding from the row's current values (failures still inside the
 * window, attempts in flight that are not stale), so that parallel attempts cannot outrun
 * the count. Read-then-write through the EntityManager would race.
 */
export class LockoutRepository {
  /**
   * Charges one attempt before its password is compared: creates the row or counts one more
   * attempt in flight, but only while the key is not locked and failures plus attempts in
   * flight stay under `maxFailedLogins`. False: refused (locked, or the budget is taken).
   * SQL: an upsert whose update is conditional on the row's own arithmetic.
   */
  async charge(q: Queryable, key: Buffer, limits: Pick<LockoutLimits, 'failureWindowSeconds' | 'maxFailedLogins'>): Promise<boolean> {
    const rows = await q.manager.query<unknown[]>(
      `INSERT INTO login_lockouts AS l (key, in_flight, in_flight_at) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE
          SET in_flight = ${liveInFlight('l')} + 1, in_flight_at = now(), updated_at = now()
        WHERE coalesce(l.locked_until <= now(), true)
          AND ${liveFailures('l', '$2')} + ${liveInFlight('l')} < $3
       RETURNING true AS charged, NULL::timestamptz AS "lockedUntil"`,
      [key, limits.failureWindowSeconds, limits.maxFailedLogins],
    );
    return rows.length > 0;
  }

  /** Why a charge was refused: the lock's end while locked (by the database's clock), and whether bypass attempts are left. */
  async state(q: Queryable, key: Buffer, maxBypassFailures: number): Promise<{ lockedUntil: Date | null; bypassLeft: boolean } | null> {
    const row = await q.manager
      .createQueryBuilder(LoginLockoutEntity, 'l')
      .select('CASE WHEN l.locked_until > now() THEN l.locked_until END', 'lockedUntil')
      .addSelect('l.bypass_failures < :maxBypassFailures', 'bypassLeft')
      .where('l.key = :key', { key, maxBypassFailures })
      .getRawOne<{ lockedUntil: Date | null; bypassLeft: boolean }>();
    return row ?? null;
  }

  /**
   * A wrong password: the attempt leaves flight and is counted; the failure that reaches the
   * limit locks (for lockoutSeconds, doubled per earlier lockout up to lockoutMaxSeconds) and
   * resets the count. Answers the lock it set, if it did. SQL: one atomic UPDATE deciding
   * from the row's own values.
   */
  async failed(q: Queryable, key: Buffer, limits: LockoutLimits): Promise<Date | null> {
    const failures = `(${liveFailures('l', '$2')} + 1)`;
    // manager.query answers an UPDATE as [rows, rowCount] (TypeORM's postgres driver).
    const [[row]] = await q.manager.query<[{ lockedNow: Date | null }[], number]>(
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
      [key, limits.failureWindowSeconds, limits.maxFailedLogins, limits.lockoutSeconds, limits.lockoutMaxSeconds],
    );
    return row?.lockedNow ?? null;
  }

  /**
   * A correct password: the attempt leaves flight (unless `lift`: a login past the lock,
   * which was never charged) and the failures are forgotten; `lift` ends a lock too. SQL: the
   * in-flight count is decremented from the row's own (possibly stale) value.
   */
  async succeeded(q: Queryable, key: Buffer, lift: boolean): Promise<void> {
    await q.manager.query(
      `UPDATE login_lockouts l
          SET in_flight = greatest(${liveInFlight('l')} - ${lift ? 0 : 1}, 0), failed_count = 0, window_start = NULL, lockout_count = 0, bypass_failures = 0,
              locked_until = CASE WHEN $2 THEN NULL ELSE l.locked_until END, updated_at = now()
        WHERE l.key = $1`,
      [key, lift],
    );
  }

  /** A login past the lock with a valid second factor and a wrong password. */
  async bypassFailed(q: Queryable, key: Buffer): Promise<void> {
    await q.manager
      .createQueryBuilder()
      .update(LoginLockoutEntity)
      .set({ bypassFailures: () => 'bypass_failures + 1', updatedAt: () => 'now()' })
      .where('key = :key', { key })
      .execute();
  }

  /** An attempt charged but never compared (the request failed in between). SQL: decremented from the row's own value. */
  async release(q: Queryable, key: Buffer): Promise<void> {
    await q.manager.query(`UPDATE login_lockouts l SET in_flight = greatest(${liveInFlight('l')} - 1, 0) WHERE l.key = $1`, [key]);
  }

  async delete(tx: Queryable, key: Buffer): Promise<void> {
    await tx.manager.createQueryBuilder().delete().from(LoginLockoutEntity).where('key = :key', { key }).execute();
  }

  /**
   * Rows with nothing left to remember: no lock, no failure in the window, nothing in flight,
   * quiet for a day at least. How many went.
   */
  async prune(q: Queryable, limits: Pick<LockoutLimits, 'failureWindowSeconds' | 'lockoutMaxSeconds'>): Promise<number> {
    const res = await q.manager
      .createQueryBuilder()
      .delete()
      .from(LoginLockoutEntity)
      .where('greatest(updated_at, locked_until) < now() - make_interval(secs => greatest(:window::float8, :maxLock::float8, 86400))', {
        window: limits.failureWindowSeconds,
        maxLock: limits.lockoutMaxSeconds,
      })
      .andWhere('coalesce(locked_until <= now(), true)')
      .execute();
    return res.affected ?? 0;
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
