import { randomBytes } from 'node:crypto';
import os from 'node:os';
import Redis from 'ioredis';
import type { Config } from '../../config/config';
import { isConnectionError } from '../../db/errors';
import { systemActor } from '../../auth/actor';
import { Transactor } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { redisOptions } from '../../events/pubsub';
import type { Logger } from '../../observability/logger';
import type { Services } from '../../services';
import { entryFields, OrderEvent, OrderEventRejected, parseOrderEvent, RejectReason } from './order-event';
import type { ApplyOutcome } from './statistics.service';

export interface OrderEventsDeps {
  config: Config;
  /** A non-blocking connection (the event bus's) for `idle()`; the loop has its own. */
  control: Redis;
  work: Transactor;
  services: Pick<Services, 'statistics' | 'segments'>;
  logger: Logger;
}

export interface OrderEventsOptions {
  /** Entries per XREADGROUP / XAUTOCLAIM. */
  batchSize: number;
  /** How long one XREADGROUP waits for new entries. */
  blockMs: number;
  /** Entries pending this long in any consumer (a dead replica's) are claimed. */
  claimIdleMs: number;
  claimIntervalMs: number;
  /** Unexpected failures of one entry (not outages) before it is dead-lettered as processing_failed. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

const DEFAULTS: OrderEventsOptions = {
  batchSize: 100,
  blockMs: 1500,
  claimIdleMs: 60_000,
  claimIntervalMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
};

/** A database that cannot answer now: the entry stays pending and is retried, never dead-lettered. */
function isOutage(err: unknown): boolean {
  return (err instanceof DomainError && err.code === 'SERVICE_UNAVAILABLE') || isConnectionError(err);
}

type Entry = [id: string, fields: string[] | null];

/** Stream ids "ms-seq" compared as numbers. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/**
 * Reads the order service's stream `order.events` with a consumer group and feeds customer
 * statistics (README "Order events"). Runs in every replica when Redis is configured; the
 * group hands each entry to one of them.
 *
 * - One entry at a time, each applied in its own transaction; XACK only after the commit, so
 *   a crash between the two re-delivers the entry, which the ledger recognises as applied.
 * - An entry that can never apply (malformed, unknown customer, other currency, ...) is copied
 *   to the dead-letter stream with its reason and acknowledged, in one MULTI.
 * - A database outage leaves the entry pending: the loop backs off, then re-reads its own
 *   pending entries (id 0) before anything new. Other unexpected failures are retried too,
 *   and dead-lettered as processing_failed after `maxAttempts`.
 * - Entries left pending by a consumer that died are claimed with XAUTOCLAIM once idle for
 *   `claimIdleMs`; empty consumers idle for a day are removed from the group.
 */
export class OrderEventsConsumer {
  readonly stream: string;
  readonly group: string;
  readonly deadLetterStream: string;
  /** Unique per process: a restarted process never inherits a name (XAUTOCLAIM takes over its entries). */
  readonly consumer = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly counters = { applied: 0, recorded: 0, duplicate: 0, ignored: 0, deadLettered: 0, retried: 0, outages: 0 };

  private readonly options: OrderEventsOptions;
  private redis: Redis | null = null;
  private loop: Promise<void> | null = null;
  private stopped = true;
  private blocked = false;
  private wakePause: (() => void) | null = null;
  private roundWaiters: (() => void)[] = [];
  private readonly attempts = new Map<string, number>();
  /** When to re-read our own pending entries (0: now; Infinity: nothing to retry). */
  private backlogAt = 0;
  private lastWarn = 0;

  constructor(
    readonly deps: OrderEventsDeps,
    options: Partial<OrderEventsOptions> = {},
  ) {
    const { eventsNamespace: ns, orders } = deps.config;
    this.stream = `${ns}${orders.stream}`;
    this.group = orders.consumerGroup;
    this.deadLetterStream = `${ns}${orders.deadLetterStream}`;
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    if (!this.stopped) return;
    const { redisAddr, redisPassword } = this.deps.config;
    if (!redisAddr) throw new Error('the order events consumer needs CUSTOMER_REDIS_ADDR');
    this.stopped = false;
    this.backlogAt = 0;
    // Its own connection: XREADGROUP BLOCK holds the connection while it waits.
    this.redis = new Redis({ ...redisOptions(redisAddr, redisPassword), maxRetriesPerRequest: 1 });
    this.redis.on('error', (err: Error) => this.warn({ err: err.message }, 'order events: redis unavailable'));
    this.loop = this.run();
  }

  /** Lets the entry in flight finish (commit and acknowledge), then stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Nothing is in flight while the loop waits in XREADGROUP: closing the connection ends the wait.
    if (this.blocked) this.redis?.disconnect();
    this.wakePause?.();
    await this.loop;
    this.redis?.disconnect();
    this.redis = null;
    this.loop = null;
  }

  /**
   * Resolves once the group has delivered every entry of the stream and none is pending (in
   * any consumer): everything written so far is applied, dead-lettered or skipped. Entries
   * held back by an outage keep it waiting; it rejects after `timeoutMs`.
   */
  async idle(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.caughtUp())) {
      if (Date.now() > deadline) throw new Error(`order events: not caught up after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.roundWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async caughtUp(): Promise<boolean> {
    try {
      const control = this.deps.control;
      const [stream, groups] = (await Promise.all([control.xinfo('STREAM', this.stream), control.xinfo('GROUPS', this.stream)])) as [unknown[], unknown[][]];
      const lastGenerated = String(entryFields(stream as string[])['last-generated-id']);
      for (const g of groups) {
        const info = Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [g[2 * i], g[2 * i + 1]]));
        if (info.name !== this.group) continue;
        return Number(info.pending) === 0 && compareIds(String(info['last-delivered-id']), lastGenerated) >= 0;
      }
      return false;
    } catch {
      return false; // no stream or group yet, or Redis away
    }
  }

  private async run(): Promise<void> {
    let groupReady = false;
    let nextClaimAt = 0;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!groupReady) {
          await this.ensureGroup();
          groupReady = true;
        }
        if (Date.now() >= nextClaimAt) {
          await this.reclaim();
          nextClaimAt = Date.now() + this.options.claimIntervalMs;
        }
        if (Date.now() >= this.backlogAt) await this.readPending();
        else await this.readNew(Math.min(this.options.blockMs, nextClaimAt - Date.now(), this.backlogAt - Date.now()));
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (/NOGROUP/.test((err as Error).message ?? '')) groupReady = false;
        failures += 1;
        this.backlogAt = 0;
        if (isOutage(err)) this.counters.outages += 1;
        const delay = Math.min(this.options.backoffBaseMs * 2 ** Math.min(failures - 1, 16), this.options.backoffMaxMs);
        this.warn({ err: (err as Error).message, retryInMs: delay }, 'order events: round failed; entries stay pending and are retried');
        await this.pause(delay);
      } finally {
        const waiters = this.roundWaiters;
        this.roundWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** From the stream's beginning (replays are harmless), creating the stream if the order service has not yet. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.redis!.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message ?? '')) throw err;
    }
  }

  /** Our own entries read but not acknowledged (after an outage or a failure), oldest first. */
  private async readPending(): Promise<void> {
    this.backlogAt = Infinity;
    for (let cursor = '0'; !this.stopped;) {
      const res = (await this.redis!.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', this.options.batchSize, 'STREAMS', this.stream, cursor)) as
        [string, Entry[]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (!entries.length) return;
      for (const entry of entries) await this.handle(entry);
      cursor = entries[entries.length - 1][0];
    }
  }

  private async readNew(blockMs: number): Promise<void> {
    if (this.stopped) return;
    let res: [string, Entry[]][] | null;
    this.blocked = true;
    try {
      res = (await this.redis!.xreadgroup(
        'GROUP',
        this.group,
        this.consumer,
        'COUNT',
        this.options.batchSize,
        'BLOCK',
        Math.max(1, Math.floor(blockMs)),
        'STREAMS',
        this.stream,
        '>',
      )) as [string, Entry[]][] | null;
    } finally {
      this.blocked = false;
    }
    for (const entry of res?.[0]?.[1] ?? []) {
      if (this.stopped) return; // left pending: the next start (or another replica) takes it
      await this.handle(entry);
    }
  }

  /** Takes over entries another consumer (a dead replica) left pending for claimIdleMs, and tidies the group. */
  private async reclaim(): Promise<void> {
    for (let cursor = '0-0'; !this.stopped;) {
      const [next, entries] = (await this.redis!.xautoclaim(
        this.stream,
        this.group,
        this.consumer,
        this.options.claimIdleMs,
        cursor,
        'COUNT',
        this.options.batchSize,
      )) as [string, Entry[]];
      for (const entry of entries) await this.handle(entry);
      if (next === '0-0') break;
      cursor = next;
    }
    const consumers = (await this.redis!.xinfo('CONSUMERS', this.stream, this.group)) as string[][];
    for (const c of consumers) {
      const info = entryFields(c.map(String));
      if (info.name !== this.consumer && Number(info.pending) === 0 && Number(info.idle) > 86_400_000) {
        await this.redis!.xgroup('DELCONSUMER', this.stream, this.group, info.name);
      }
    }
  }

  /**
   * One entry: applied and acknowledged, dead-lettered, skipped, or (database outage) thrown
   * to the loop with the entry still pending.
   */
  private async handle([id, raw]: Entry): Promise<void> {
    if (!raw) {
      // Trimmed from the stream while pending: nothing left to apply.
      await this.redis!.xack(this.stream, this.group, id);
      return;
    }
    let event: OrderEvent | null;
    try {
      event = parseOrderEvent(entryFields(raw), this.deps.services.statistics.shopCurrency);
    } catch (err) {
      if (err instanceof OrderEventRejected) return this.deadLetter(id, raw, err.reason, err.message);
      throw err;
    }
    if (!event) {
      this.counters.ignored += 1;
      await this.redis!.xack(this.stream, this.group, id);
      return;
    }
    let outcome: ApplyOutcome;
    try {
      outcome = await this.apply(event);
    } catch (err) {
      if (err instanceof OrderEventRejected) return this.deadLetter(id, raw, err.reason, err.message);
      if (isOutage(err)) throw err;
      if (err instanceof DomainError && err.code === 'BAD_USER_INPUT') {
        // A value the database refused (e.g. a total beyond NUMERIC(14, 2)): it will never apply.
        return this.deadLetter(id, raw, 'invalid_data', err.message);
      }
      const attempts = (this.attempts.get(id) ?? 0) + 1;
      if (attempts >= this.options.maxAttempts) {
        return this.deadLetter(id, raw, 'processing_failed', `${attempts} attempts failed; last: ${(err as Error).message}`.slice(0, 500));
      }
      this.attempts.set(id, attempts);
      this.counters.retried += 1;
      this.backlogAt = Math.min(this.backlogAt, Date.now() + Math.min(this.options.backoffBaseMs * 2 ** attempts, this.options.backoffMaxMs));
      this.warn({ err: (err as Error).message, entry: id, attempts }, 'order events: applying an entry failed; will retry');
      return;
    }
    this.counters[outcome] += 1;
    this.attempts.delete(id);
    // Only now, after the commit: a crash before this line re-delivers the entry, and the
    // ledger answers "duplicate".
    await this.redis!.xack(this.stream, this.group, id);
  }

  /** One transaction: ledger, statistics, outbox event, and the customer's segments re-scored. */
  private apply(event: OrderEvent): Promise<ApplyOutcome> {
    const system = systemActor('order-events');
    const actor = { ...system, meta: { ...system.meta, traceId: event.traceId } };
    return this.deps.work.run(actor, async (w) => {
      const outcome = await this.deps.services.statistics.apply(w, event);
      // Order statistics feed segment rules: re-scored before this transaction commits.
      if (outcome === 'applied') w.segmentsMayChange(event.customerId);
      return outcome;
    });
  }

  /** The original fields plus reason, detail and sourceId, and the XACK, atomically. */
  private async deadLetter(id: string, raw: string[], reason: RejectReason, detail: string): Promise<void> {
    const original: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!['reason', 'detail', 'sourceId'].includes(raw[i])) original.push(raw[i], raw[i + 1]);
    }
    const results = await this.redis!.multi()
      .xadd(
        this.deadLetterStream,
        'MAXLEN',
        '~',
        String(this.deps.config.outbox.streamMaxLen),
        '*',
        ...original,
        'reason',
        reason,
        'detail',
        detail,
        'sourceId',
        id,
      )
      .xack(this.stream, this.group, id)
      .exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('the dead-letter MULTI was not executed');
    this.attempts.delete(id);
    this.counters.deadLettered += 1;
    this.deps.logger.warn({ entry: id, reason, detail }, 'order events: entry moved to the dead-letter stream');
  }

  /** Waits ms, or less when stop() is called. */
  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakePause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakePause = null;
  }

  private warn(fields: Record<string, unknown>, message: string): void {
    if (Date.now() - this.lastWarn < 10_000) return;
    this.lastWarn = Date.now();
    this.deps.logger.warn(fields, message);
  }
}
