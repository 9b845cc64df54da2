import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database';
import type { CommittedWork } from '../application/unit-of-work';
import { OutboxRepository } from '../events/outbox.repository';
import { MEMBERSHIP_CHANGED } from '../events/topics';
import type { Logger } from './logger';

/** Operation names become label values only when they look like this (GraphQL names, at most 64 characters). */
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Error codes and audit event types as label values. */
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,99}$/;

/** Distinct operation names kept as label values; later ones are counted as `other`. */
export const MAX_OPERATION_NAMES = 200;
const MAX_CODES = 50;
const MAX_EVENT_TYPES = 200;

/** The outbox gauges read NaN when the database takes longer than this. */
const OUTBOX_READ_TIMEOUT_MS = 2000;

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Label values from what clients send, bounded: a value that does not match the pattern is
 * `invalid`, and after `max` distinct values every new one is `overflow`. Keeps the number of
 * time series finite whatever clients name their operations.
 */
class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly pattern: RegExp,
    private readonly invalid: string,
    private readonly overflow = 'other',
  ) {}

  value(raw: string | null | undefined): string {
    if (!raw || !this.pattern.test(raw)) return this.invalid;
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return this.overflow;
    this.seen.add(raw);
    return raw;
  }
}

interface OutboxSnapshot {
  pending: number;
  oldestSeconds: number;
}

/**
 * The service's Prometheus metrics, in a registry of its own (several apps in one test
 * process must not collide in prom-client's global one). Counters move on the request path
 * (the Apollo plugin in operations.ts) and after commits (Transactor.onCommit); gauges are
 * read when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new BoundedLabel(MAX_OPERATION_NAMES, OPERATION_NAME, 'anonymous');
  private readonly codes = new BoundedLabel(MAX_CODES, CODE, 'other');
  private readonly eventTypes = new BoundedLabel(MAX_EVENT_TYPES, EVENT_TYPE, 'invalid');

  private readonly requests: Counter<'operation' | 'status'>;
  private readonly duration: Histogram<'operation'>;
  private readonly errors: Counter<'code'>;
  private readonly created: Counter;
  private readonly addresses: Counter;
  private readonly segmentJoins: Counter;
  private readonly audits: Counter<'event_type'>;
  private outboxRead: Promise<OutboxSnapshot> | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly outboxEvents = new OutboxRepository(),
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'customer_requests_total',
      help: 'GraphQL requests by operation name and outcome (success or error)',
      labelNames: ['operation', 'status'] as const,
      registers,
    });
    this.duration = new Histogram({
      name: 'customer_request_duration_seconds',
      help: 'Time to answer a GraphQL operation, from the start of Apollo request processing to the response',
      labelNames: ['operation'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'customer_errors_total',
      help: 'GraphQL errors returned, by extensions.code (each error of a response counts)',
      labelNames: ['code'] as const,
      registers,
    });
    this.created = new Counter({ name: 'customer_created_total', help: 'Customers created (createCustomer and register), counted after commit', registers });
    this.addresses = new Counter({ name: 'customer_addresses_total', help: 'Addresses created, counted after commit', registers });
    this.segmentJoins = new Counter({
      name: 'customer_segments_assigned_total',
      help: 'Customers that joined a segment (incremental re-scoring and refreshes), counted after commit',
      registers,
    });
    this.audits = new Counter({
      name: 'audit_events_total',
      help: 'Audit events written, by event type, counted after commit',
      labelNames: ['event_type'] as const,
      registers,
    });

    // The pool first: scrapes read it before the outbox query below takes a connection.
    if (db.poolStats) {
      const stats = () => db.poolStats!();
      const pool = (name: string, help: string, pick: (s: ReturnType<typeof stats>) => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(pick(stats()));
          },
        });
      const embedded = db.kind === 'embedded' ? ' (embedded PGlite: one session)' : '';
      pool('customer_db_pool_connections', `Open database connections${embedded}`, (s) => s.total);
      pool('customer_db_pool_idle_connections', `Open database connections not in use${embedded}`, (s) => s.idle);
      pool('customer_db_pool_waiting_requests', `Queries and transactions waiting for a connection${embedded}`, (s) => s.waiting);
      pool('customer_db_pool_max_connections', `Connection limit of the pool (CUSTOMER_DB_POOL_SIZE)${embedded}`, (s) => s.max);
    }

    const outbox = () => (this.outboxRead ??= this.readOutbox().finally(() => (this.outboxRead = null)));
    new Gauge({
      name: 'customer_outbox_pending_events',
      help: 'Outbox events not yet published (status PENDING, retries included); NaN when the database did not answer',
      registers,
      async collect() {
        this.set((await outbox()).pending);
      },
    });
    new Gauge({
      name: 'customer_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending outbox event (0 when none); NaN when the database did not answer',
      registers,
      async collect() {
        this.set((await outbox()).oldestSeconds);
      },
    });
  }

  /** The label value for a client's operation name: itself, `anonymous`, or `other` past the first 200 names. */
  operationLabel(name: string | null | undefined): string {
    return this.operations.value(name);
  }

  /** One answered request: `codes` are the response's error codes (empty: success); `seconds` null when unmeasured. */
  observeRequest(operation: string, codes: readonly string[], seconds: number | null): void {
    this.requests.inc({ operation, status: codes.length ? 'error' : 'success' });
    if (seconds !== null) this.duration.observe({ operation }, seconds);
    for (const code of codes) this.errors.inc({ code: this.codes.value(code) });
  }

  /** What a committed unit of work wrote (Transactor.onCommit). */
  observeCommit(work: CommittedWork): void {
    for (const a of work.audits) {
      this.audits.inc({ event_type: this.eventTypes.value(a.eventType) });
      // A segment refresh inserts its joiners in SQL; it reports how many in its audit entry.
      if (a.eventType === 'segment.refresh' && typeof a.metadata?.added === 'number' && a.metadata.added > 0) {
        this.segmentJoins.inc(a.metadata.added);
      }
    }
    for (const e of work.events) {
      if (e.type === 'customer.created') this.created.inc();
      else if (e.type === 'customer.address.created') this.addresses.inc();
      else if (e.type === MEMBERSHIP_CHANGED && e.data.joined === true) this.segmentJoins.inc();
    }
  }

  /** The outbox backlog (OutboxRepository.pendingBacklog), or NaN when the database does not answer in time. */
  private async readOutbox(): Promise<OutboxSnapshot> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = this.outboxEvents.pendingBacklog(this.db);
      // A scrape must answer even when the database does not (Prometheus' own timeout is 10 s).
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${OUTBOX_READ_TIMEOUT_MS} ms`)), OUTBOX_READ_TIMEOUT_MS);
      });
      read.catch(() => undefined);
      const row = await Promise.race([read, timeout]);
      return { pending: row.pending, oldestSeconds: Math.max(0, row.oldestSeconds ?? 0) };
    } catch (err) {
      this.logger.warn({ err }, 'metrics: reading the outbox backlog failed');
      return { pending: NaN, oldestSeconds: NaN };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The text exposition (Prometheus format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** GET /metrics: unauthenticated, like the health routes (see README, "Operations"). */
export function metricsRoute(metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    metrics.render().then((text) => {
      res.set('content-type', metrics.registry.contentType);
      res.set('cache-control', 'no-store');
      res.end(text);
    }, next);
  };
}
