import { Mutex } from '../common/mutex';
import { DomainError } from '../errors/domain-error';

/**
 * Bounds the bcrypt work a signed-in caller can start (changePassword, re-authentication), so
 * one customer cannot take the thread pool every login needs (bcrypt runs on libuv's threads,
 * four by default):
 * - per customer, one check at a time in this process, the next few waiting their turn (a
 *   double submit still succeeds; a flood waits on itself) and the rest refused at once
 *   (RATE_LIMITED), before any database or Redis work;
 * - per process, at most `concurrency` checks at once, the rest waiting in arrival order, and
 *   refused beyond `maxWaiting`.
 * Logins do not pass through here: they are what this protects (the lockout and the per-address
 * allowance bound them).
 */
export class PasswordGate {
  private readonly customers = new Map<string, Mutex>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(private readonly limits: { concurrency: number; maxWaiting: number; maxPerCustomer: number }) {}

  async run<T>(customerId: string, work: () => Promise<T>): Promise<T> {
    let mine = this.customers.get(customerId);
    if (!mine) this.customers.set(customerId, (mine = new Mutex()));
    if (mine.size >= this.limits.maxPerCustomer) throw busy('Too many password checks for this account at once; try again in a moment');
    try {
      return await mine.run(() => this.slot(work));
    } finally {
      if (mine.size === 0) this.customers.delete(customerId);
    }
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.limits.concurrency) this.running += 1;
    else if (this.waiting.length < this.limits.maxWaiting) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw busy('Too many password checks right now; try again in a moment');
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

function busy(message: string): DomainError {
  return new DomainError('RATE_LIMITED', message, undefined, { retryAfterSeconds: 1 });
}

/** Half of libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default) at most, and at least one. */
export function passwordGateConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const pool = Number(env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.floor(pool / 2));
}
