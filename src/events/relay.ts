import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { OutboxConfig } from '../config/config';
import type { Database, Queryable } from '../db/database';
import type { Logger } from '../observability/logger';
import { batchCustomers, eventCount, expandBatches } from './membership-batch';
import { OUTBOX_CHANNEL, OutboxRepository } from './outbox.repository';
import type { EventPublisher, OutboxRow } from './publisher';
import { MEMBERSHIP_BATCH } from './topics';

/** Rows deleted per statement when pruning. */
const PRUNE_BATCH = 5000;

/** Larger than any seq: "no such row". */
const NONE = BigInt(Number.MAX_SAFE_INTEGER) * 1024n;

/** The longest prefix of rows that stands for at most `max` events, and at least the first row. */
function upToEvents(rows: OutboxRow[], max: number): OutboxRow[] {
  let n = 0;
  let i = 0;
  while (i < rows.length && (i === 0 || n + eventCount(rows[i]) <= max)) n += eventCount(rows[i++]);
  return rows.slice(0, i);
}

/**
 * The outbox relay. Claims due PENDING rows with FOR UPDATE SKIP LOCKED (so relays of several
 * replicas never take the same row), publishes them, and marks them SENT in the same
 * transaction; a failed publish schedules a retry with exponential backoff and ends in DEAD
 * after `maxAttempts`. If the process dies mid-batch the transaction rolls back and the rows
 * are published again later: delivery is at least once.
 *
 * Order: per customer, events are published in `seq` (= commit) order. A relay publishes a
 * customer's claimed rows only up to that customer's first pending row it does not hold
 * (another relay holds it, or it is waiting to be retried); the rest wait for a later round.
 * Membership batches (one row, many customers) follow the same rule for each of their
 * customers; see claim().
 *
 * Wake-ups: a local commit calls `wake()`; commits on other replicas arrive as NOTIFY on
 * LISTEN (PostgreSQL mode; our own are ignored); a timer covers retries and anything missed.
 */
export class OutboxRelay {
  /** The NOTIFY payload of this process's commits: it was woken in-process for those already. */
  readonly id = randomUUID();
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private timers: NodeJS.Timeout[] = [];
  private listener: pg.Client | null = null;

  constructor(
    private readonly db: Database,
    private readonly publisher: EventPublisher,
    private readonly cfg: OutboxConfig,
    private readonly logger: Logger,
    /** PostgreSQL DSN for a LISTEN connection; null in embedded mode (one process). */
    private readonly listenDsn: string | null,
    private readonly outbox = new OutboxRepository(),
  ) {}

  start(): void {
    this.stopped = false;
    this.timers.push(setInterval(() => this.wake(), this.cfg.pollIntervalMs).unref());
    this.timers.push(setInterval(() => void this.prune().catch((err) => this.logger.warn({ err }, 'outbox prune failed')), 60_000).unref());
    if (this.listenDsn) void this.listen();
    this.wake();
  }

  /** Drain now (coalesced: a wake during a drain runs one more round after it). */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when no drain is running (tests wait on it before counting statements). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Lets the batch in flight finish, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.draining;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    for (let deferredRounds = 0; ;) {
      let more: boolean;
      try {
        more = (await this.round()).more;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'outbox relay round failed; retrying later');
        return;
      }
      if (this.stopped) return;
      if (this.deferred > 0 && deferredRounds < 50) {
        // Rows held back behind another relay's batch: look again shortly rather than at
        // the next poll, so that order costs milliseconds, not a poll interval.
        deferredRounds += 1;
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      if (!more) return;
    }
  }

  /** Rows the last round claimed but held back to keep a customer's order. */
  private deferred = 0;

  /** One round; returns how many events it published. Exposed for tests and the bench. */
  async drainOnce(): Promise<number> {
    return (await this.round()).events;
  }

  /**
   * Claims up to batchSize rows and publishes, in order, those that may go now, up to
   * batchSize events (a membership batch row stands for up to 1,000; a round always takes
   * its first row). `more`: there may be due rows left.
   */
  private async round(): Promise<{ events: number; more: boolean }> {
    return this.db.transaction(async (tx) => {
      const { claimed, ready } = await this.claim(tx);
      this.deferred = claimed.length - ready.length;
      const rows = upToEvents(ready, this.cfg.batchSize);
      if (!rows.length) return { events: 0, more: false };
      const more = claimed.length === this.cfg.batchSize || rows.length < ready.length;
      const seqs = rows.map((r) => r.seq);
      const events = expandBatches(rows);
      try {
        await this.publisher.publish(events);
      } catch (err) {
        // An outage (Redis down, or not taking writes) is waited out however long it lasts:
        // the events are fine, and a dead letter would lose them. Other failures count.
        const outage = this.publisher.isOutage(err);
        await this.outbox.scheduleRetryAndCommit(tx, seqs, (err as Error).message, this.cfg, outage);
        this.logger.warn({ err: (err as Error).message, events: events.length, outage }, 'publishing outbox events failed; will retry with backoff');
        return { events: 0, more: false };
      }
      // The COMMIT goes out with it: the next round (and the next claim of every relay) waits for it.
      await this.outbox.markSentAndCommit(tx, seqs);
      return { events: events.length, more };
    });
  }

  /**
   * Claims due rows (OutboxRepository.claim: FOR UPDATE SKIP LOCKED, and in the same statement
   * the pending rows it did not claim that some claimed rows must not overtake). `ready`: the
   * claimed rows that may be published now, in order.
   *
   * Order, per customer: a customer's row waits for that customer's earlier pending rows, and
   * for earlier unclaimed membership batches (which may hold any customer: their customers
   * are not indexed, so this barrier is coarse; such a batch is only unclaimed while another
   * relay publishes it or while publishing fails). A batch waits for the earlier pending rows
   * of its own customers and for earlier batches. Within the claimed rows, a row held back
   * holds back the later rows of its customers (a batch: of all its customers).
   *
   * Why seq order is commit order here: a customer's rows are written under that customer's
   * row lock, and a refresh's batches under its segment's membership lock, which re-scoring
   * takes too (segment.service.ts); so a snapshot that sees a later event of a customer or a
   * membership also sees the earlier ones.
   */
  private async claim(tx: Queryable): Promise<{ claimed: OutboxRow[]; ready: OutboxRow[] }> {
    const { claimed, firstUnclaimedOf, firstUnclaimedBatch, blockedBatches } = await this.outbox.claim(tx, this.cfg.batchSize);
    const firstBatch = firstUnclaimedBatch ?? NONE;
    // Customers with a claimed row held back this round: their later rows wait too.
    const held = new Set<string>();
    const ready = claimed.filter((r) => {
      const seq = BigInt(r.seq);
      if (r.type === MEMBERSHIP_BATCH) {
        const customers = batchCustomers(r);
        if (seq < firstBatch && !blockedBatches.has(r.seq) && !customers.some((c) => held.has(c))) return true;
        for (const c of customers) held.add(c);
        return false;
      }
      if (r.customerId === null) return true;
      if (seq < firstBatch && seq < (firstUnclaimedOf.get(r.customerId) ?? NONE) && !held.has(r.customerId)) return true;
      held.add(r.customerId);
      return false;
    });
    return { claimed, ready };
  }

  /** Deletes SENT rows older than the retention, a bounded batch at a time. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.outbox.pruneSent(this.db, this.cfg.retentionHours, PRUNE_BATCH);
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }

  private async listen(): Promise<void> {
    while (!this.stopped) {
      const client = new pg.Client({ connectionString: this.listenDsn! });
      this.listener = client;
      const closed = new Promise<void>((resolve) => {
        // Errors end this connection (the loop opens another); they must never go unhandled.
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (n) => {
          if (n.payload !== this.id) this.wake();
        });
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        if (!this.stopped) await closed;
      } catch {
        // connection refused or lost: retry below
      }
      await client.end().catch(() => undefined);
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000).unref());
    }
  }
}
