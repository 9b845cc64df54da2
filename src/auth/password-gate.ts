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
 * A refusal is answered after a pause (a second), so a client hammering in a loop is paced by
 * its own refusals.
 * Logins do not pass through here: they are what this protects (the lockout and the per-address
 * allowance bound them).
 */
export class PasswordGate {
  private readonly customers = new Map<string, Mutex>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  private paused = 0;

  constructor(
    private readonly limits: {
      concurrency: number;
      maxWaiting: number;
      maxPerCustomer: number;
      /** How long a refusal (RATE_LIMITED, the gate's or the allowance's) is held before it is answered. */
      refusalPauseMs: number;
      /** Refusals held at once at most; beyond, answered at once (a pause must not cost more than it saves). */
      maxPaused: number;
    },
  ) {}

  async run<T>(customerId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.admit(customerId, work);
    } catch (err) {
      // A client retrying in a loop waits on its own refusals instead of taking the CPU every
      // other request needs: answered at once, 32 connections sent about a thousand a second.
      if (err instanceof DomainError && err.code === 'RATE_LIMITED') await this.pause();
      throw err;
    }
  }

  private async admit<T>(customerId: string, work: () => Promise<T>): Promise<T> {
    let mine = this.customers.get(customerId);
    if (!mine) this.customers.set(customerId, (mine = new Mutex()));
    if (mine.size >= this.limits.maxPerCustomer) throw busy('Too many password checks for this account at once; try again in a moment');
    try {
      return await mine.run(() => this.slot(work));
    } finally {
      if (mine.size === 0) this.customers.delete(customerId);
    }
  }

  private async pause(): Promise<void> {
    if (this.paused >= this.limits.maxPaused || this.limits.refusalPauseMs <= 0) return;
    this.paused += 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, this.limits.refusalPauseMs));
    } finally {
      this.paused -= 1;
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
