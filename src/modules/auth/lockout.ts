import { canonicalEmail } from '../../common/email';
import type { Database, Queryable } from '../../db/database';
import { DomainError } from '../../errors/domain-error';
import { LockoutRepository } from './lockout.repository';

export interface LockoutPolicy {
  maxFailedLogins: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

/** A charged attempt: settle it with `failed` or `succeeded` (or `release` when it never got compared). */
export type Charge = { kind: 'charged'; key: Buffer } | { kind: 'locked'; key: Buffer; lockedUntil: Date; bypassLeft: boolean };

/** How long an attempt waits for attempts in flight to be decided before it gives up. */
const WAIT_FOR_BUDGET_MS = 10_000;
/** Per lock: logins that passed the second factor but typed a wrong password. */
const MAX_BYPASS_FAILURES = 3;

/**
 * The login lockout (README "Accounts and two-factor"), in `login_lockouts` (lockout.repository.ts),
 * keyed by a keyed hash of the email typed: unknown emails are counted and locked exactly like known ones, so
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
    private readonly rows = new LockoutRepository(),
  ) {}

  keyOf(email: string): Buffer {
    return this.mac(`login:${canonicalEmail(email)}`);
  }

  async charge(email: string): Promise<Charge> {
    const key = this.keyOf(email);
    const deadline = Date.now() + WAIT_FOR_BUDGET_MS;
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      if (await this.rows.charge(this.db, key, this.policy)) return { kind: 'charged', key };
      // Refused: locked, or the budget is taken by attempts still being compared.
      const state = await this.rows.state(this.db, key, MAX_BYPASS_FAILURES);
      if (state?.lockedUntil) return { kind: 'locked', key, lockedUntil: state.lockedUntil, bypassLeft: state.bypassLeft };
      if (Date.now() + pause > deadline) {
        throw new DomainError('RATE_LIMITED', 'Too many sign-in attempts for this account at once; try again', undefined, { retryAfterSeconds: 1 });
      }
      await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    }
  }

  /** A wrong password: counted, and the failure that reaches the limit locks. Answers the lock it set, if it did. */
  failed(key: Buffer): Promise<Date | null> {
    return this.rows.failed(this.db, key, this.policy);
  }

  /**
   * A correct password: the failures are forgotten. No lock can be lifted by it: while this
   * attempt was in flight, failures stayed below the limit. `lift` (a login that also passed
   * its second factor while locked) ends a lock too.
   */
  succeeded(key: Buffer, { lift = false } = {}): Promise<void> {
    return this.rows.succeeded(this.db, key, lift);
  }

  /**
   * A login past the lock with a valid second factor and a wrong password: whoever holds the
   * factor gets MAX_BYPASS_FAILURES password guesses per lock, no more.
   */
  bypassFailed(key: Buffer): Promise<void> {
    return this.rows.bypassFailed(this.db, key);
  }

  /** An attempt charged but never compared (the request failed in between). */
  release(key: Buffer): Promise<void> {
    return this.rows.release(this.db, key);
  }

  /** A new password (reset by email, changed, erased): whatever was guessed at the old one no longer matters. */
  forget(tx: Queryable, email: string): Promise<void> {
    return this.rows.delete(tx, this.keyOf(email));
  }

  /** Rows with nothing left to remember: no lock, no failure in the window, nothing in flight, quiet for a day at least. */
  prune(): Promise<number> {
    return this.rows.prune(this.db, this.policy);
  }
}
