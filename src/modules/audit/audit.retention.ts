import type { Queryable } from '../../db/database';
import type { Logger } from '../../observability/logger';
import { AuditRepository } from './audit.repository';

export interface AuditRetentionOptions {
  /** Rows whose created_at is older than now() minus this many days are deleted (CUSTOMER_AUDIT_RETENTION_DAYS). */
  retentionDays: number;
  /** Rows per DELETE statement: each batch is its own short statement and transaction. */
  batchSize?: number;
  /** Pause between runs once started; the first run comes one interval after start(). */
  intervalMs?: number;
}

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes audit events past the retention window, oldest first, in batches, so neither the
 * table nor the (created_at) index is ever locked for long and a backlog of millions is worked
 * off in small steps. `FOR UPDATE SKIP LOCKED` lets several replicas run the job at once
 * without queuing behind each other (each deletes rows the others are not deleting).
 */
export class AuditRetention {
  private readonly retentionDays: number;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<number> | null = null;
  private stopping = false;

  constructor(
    private readonly db: Queryable,
    options: AuditRetentionOptions,
    private readonly logger: Logger,
    private readonly audits = new AuditRepository(),
  ) {
    const { retentionDays, batchSize = DEFAULT_BATCH_SIZE, intervalMs = DEFAULT_INTERVAL_MS } = options;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new RangeError(`intervalMs must be a positive integer, got ${intervalMs}`);
    this.retentionDays = retentionDays;
    this.batchSize = batchSize;
    this.intervalMs = intervalMs;
  }

  /**
   * Deletes every row older than the window, one batch per statement, until a batch deletes
   * fewer than batchSize (or stop() is called). Resolves to the number of rows deleted. A call
   * while a run is in progress joins that run.
   */
  runOnce(): Promise<number> {
    this.inFlight ??= this.purge().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Runs every intervalMs; the timer never keeps the process alive. Idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress to finish its current batch. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.inFlight) return;
    this.stopping = true;
    try {
      await this.inFlight.catch(() => undefined);
    } finally {
      this.stopping = false;
    }
  }

  private async purge(): Promise<number> {
    const started = Date.now();
    let total = 0;
    while (!this.stopping) {
      const n = await this.audits.deleteExpired(this.db, this.retentionDays, this.batchSize);
      total += n;
      if (n < this.batchSize) break;
    }
    if (total > 0) {
      this.logger.info({ deleted: total, retentionDays: this.retentionDays, ms: Date.now() - started }, 'audit retention: deleted expired audit events');
    }
    return total;
  }

  private async tick(): Promise<void> {
    try {
      await this.runOnce();
    } catch (err) {
      // The next tick retries; a database outage must not crash the process.
      this.logger.warn({ err }, 'audit retention run failed');
    }
  }
}
