import pg from 'pg';
import type { OutboxConfig } from '../config/config';
import type { Database, Queryable } from '../db/database';
import { OUTBOX_CHANNEL } from '../db/unit-of-work';
import type { Logger } from '../observability/logger';
import type { EventPublisher, OutboxRow } from './publisher';

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
 *
 * Wake-ups: a local commit calls `wake()`; commits on other replicas arrive as NOTIFY on
 * LISTEN (PostgreSQL mode); a timer covers retries and anything missed.
 */
export class OutboxRelay {
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
    for (let deferredRounds = 0; ; ) {
      let published: number;
      try {
        published = await this.drainOnce();
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
      if (published < this.cfg.batchSize) return;
    }
  }

  /** Rows the last round claimed but held back to keep a customer's order. */
  private deferred = 0;

  /** One batch; returns how many rows it published. Exposed for tests and the bench. */
  async drainOnce(): Promise<number> {
    return this.db.transaction(async (tx) => {
      // Losing this commit in a crash only re-publishes the batch (delivery is at least once
      // anyway), so it need not wait for the WAL flush: rounds turn around faster under load.
      await tx.query('SET LOCAL synchronous_commit TO OFF');
      const claimed = await tx.query<OutboxRow>(
        `SELECT seq::text AS seq, id, customer_id AS "customerId", type, payload, attempts
           FROM outbox_events WHERE status = 'PENDING' AND next_attempt_at <= now()
          ORDER BY outbox_events.seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.cfg.batchSize],
      );
      this.deferred = 0;
      if (!claimed.length) return 0;
      const rows = await this.inOrder(tx, claimed);
      this.deferred = claimed.length - rows.length;
      if (!rows.length) return 0;
      const seqs = rows.map((r) => r.seq);
      try {
        await this.publisher.publish(rows);
      } catch (err) {
        await tx.query(
          `UPDATE outbox_events
              SET attempts = attempts + 1, last_attempted_at = now(), last_error = left($2, 500),
                  next_attempt_at = now() + make_interval(secs => least($3::float8 * power(2, attempts), $4::float8) / 1000),
                  status = CASE WHEN attempts + 1 >= $5 THEN 'DEAD' ELSE 'PENDING' END
            WHERE seq = ANY($1::bigint[])`,
          [seqs, (err as Error).message, this.cfg.backoffBaseMs, this.cfg.backoffMaxMs, this.cfg.maxAttempts],
        );
        this.logger.warn({ err: (err as Error).message, events: rows.length }, 'publishing outbox events failed; will retry with backoff');
        return 0;
      }
      await tx.query(
        `UPDATE outbox_events SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_attempted_at = now(), last_error = NULL
          WHERE seq = ANY($1::bigint[])`,
        [seqs],
      );
      return rows.length;
    });
  }

  /**
   * Keeps, per customer, only the claimed rows that come before that customer's first pending
   * row we did not claim (one held by another relay, or waiting for a retry): publishing past
   * it would overtake it.
   */
  private async inOrder(tx: Queryable, claimed: OutboxRow[]): Promise<OutboxRow[]> {
    const customers = [...new Set(claimed.map((r) => r.customerId).filter((c): c is string => c !== null))];
    if (!customers.length) return claimed;
    const others = await tx.query<{ customerId: string; seq: string }>(
      `SELECT customer_id AS "customerId", min(seq)::text AS seq FROM outbox_events
        WHERE status = 'PENDING' AND customer_id = ANY($1::uuid[]) AND seq <> ALL($2::bigint[])
        GROUP BY customer_id`,
      [customers, claimed.map((r) => r.seq)],
    );
    if (!others.length) return claimed;
    const firstOther = new Map(others.map((o) => [o.customerId, BigInt(o.seq)]));
    return claimed.filter((r) => {
      const limit = r.customerId ? firstOther.get(r.customerId) : undefined;
      return limit === undefined || BigInt(r.seq) < limit;
    });
  }

  /** Deletes SENT rows older than the retention, a bounded batch at a time. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.db.query(
        `DELETE FROM outbox_events WHERE seq IN (
           SELECT seq FROM outbox_events WHERE status = 'SENT' AND sent_at < now() - make_interval(hours => $1) LIMIT 5000)
         RETURNING seq`,
        [this.cfg.retentionHours],
      );
      total += rows.length;
      if (rows.length < 5000) return total;
    }
  }

  /** Backlog figures for readiness and metrics. */
  async stats(): Promise<{ pending: number; dead: number; oldestPendingSeconds: number }> {
    const [row] = await this.db.query<{ pending: number; dead: number; oldest: number | null }>(
      `SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending, count(*) FILTER (WHERE status = 'DEAD')::int AS dead,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'PENDING'))::float8 AS oldest
         FROM outbox_events WHERE status <> 'SENT'`,
    );
    return { pending: row.pending, dead: row.dead, oldestPendingSeconds: row.oldest ?? 0 };
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
        client.on('notification', () => this.wake());
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
