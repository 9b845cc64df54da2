import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/actor';
import { actorId } from '../auth/viewer';
import { AuditSeverity } from '../common/enums';
import type { Database, Queryable, Transaction } from '../db/database';
import { cloudEvent } from '../events/cloud-event';
import { AUDIT_RECORDED } from '../events/topics';
import type { AuditValues } from '../modules/audit/audit.repository';
import { JournalRepository } from './journal.repository';

export interface AuditEntry {
  /** From the original service's list: customer.profile.update, customer.address.default_changed, ... */
  eventType: string;
  severity?: AuditSeverity;
  customerId: string | null;
  resourceId?: string | null;
  /** create, update, delete, login, logout, ... */
  operation: string;
  /** Only the changed fields; never secrets or hashes. */
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  metadata?: Record<string, unknown>;
}

export interface EventEntry {
  /** CloudEvent type, e.g. customer.address.default_changed. */
  type: string;
  customerId: string | null;
  /** Ids and field names, not personal values: the stream is kept and read by other services. */
  data: Record<string, unknown>;
}

/** What a committed unit of work wrote: handed to commit observers (metrics). */
export interface CommittedWork {
  readonly audits: readonly AuditEntry[];
  readonly events: readonly EventEntry[];
}

/**
 * One mutation's unit of work: its row changes, its audit rows and its outbox events commit
 * together or not at all. Services record audit entries and events as they go; they are
 * written in one statement at the end of the transaction (with a NOTIFY, delivered by
 * PostgreSQL only on commit, that wakes the relays of every replica).
 */
export class UnitOfWork {
  private readonly audits: AuditEntry[] = [];
  private readonly events: EventEntry[] = [];
  /** Customers whose segment memberships this change may alter (re-scored before commit). */
  readonly rescore = new Set<string>();

  /** The services' handle on the transaction (they cannot end it). */
  readonly tx: Queryable;

  constructor(
    private readonly transaction: Transaction,
    private readonly actor: Actor,
    private readonly journal: JournalRepository,
  ) {
    this.tx = transaction;
  }

  audit(entry: AuditEntry): void {
    this.audits.push(entry);
  }

  emit(event: EventEntry): void {
    this.events.push(event);
  }

  /** The change touched something segment rules read (profile, status, group, default shipping address, preferences, statistics). */
  segmentsMayChange(customerId: string): void {
    this.rescore.add(customerId);
  }

  /** The audit entries and events recorded so far (what a commit observer is shown). */
  get recorded(): CommittedWork {
    return { audits: this.audits, events: this.events };
  }

  get hasEvents(): boolean {
    return this.events.length > 0 || this.audits.length > 0;
  }

  /**
   * The unit of work's last step: writes the audit rows and outbox events in one statement,
   * with a NOTIFY that PostgreSQL delivers to every replica's relay only if the transaction
   * commits, and commits (JournalRepository: the COMMIT pipelined behind the statement:
   * subscribers wait for the commit, so every round trip on the way counts). `notifyAs`: the payload (the local relay's
   * id, so that it can ignore what it is told in-process anyway); null: no NOTIFY.
   */
  async flush(notifyAs: string | null): Promise<void> {
    const { viewer, meta } = this.actor;
    const outbox = this.events.map((e) => cloudEvent(e.type, e.customerId, e.data));
    const rows: AuditValues[] = this.audits.map((a) => ({
      id: randomUUID(),
      eventType: a.eventType,
      severity: a.severity ?? AuditSeverity.INFO,
      customerId: a.customerId,
      resourceId: a.resourceId ?? null,
      operation: a.operation,
      oldValues: a.oldValues ?? null,
      newValues: a.newValues ?? null,
      userAgent: meta.userAgent,
      ipAddress: meta.ip,
      actorId: actorId(viewer),
      sessionId: viewer.kind === 'anonymous' ? null : viewer.sessionId,
      traceId: meta.traceId,
      metadata: a.metadata ?? {},
    }));
    // The live audit feed learns of each row only once it is committed, through the outbox.
    for (const r of rows) {
      outbox.push(cloudEvent(AUDIT_RECORDED, r.customerId, { auditId: r.id, customerId: r.customerId, eventType: r.eventType, severity: r.severity }));
    }
    if (!outbox.length) return;
    await this.journal.writeAndCommit(this.transaction, rows, outbox, notifyAs);
  }
}

/** A step every unit of work runs last, before it commits (Transactor.onBeforeCommit). */
export type BeforeCommit = (work: UnitOfWork) => Promise<void>;

/**
 * `withTransaction`: runs fn in a transaction with a UnitOfWork, and tells the local relay
 * after commit that there is something to publish (other replicas hear the NOTIFY).
 */
export class Transactor {
  private readonly beforeCommitHooks: BeforeCommit[] = [];
  private readonly commitObservers: ((work: CommittedWork) => void)[] = [];

  constructor(
    private readonly db: Database,
    /** The local relay, woken in-process after each commit that wrote events. */
    private readonly relay: { wake(): void; readonly id: string } | null = null,
    private readonly journal = new JournalRepository(),
  ) {}

  /**
   * Runs `hook` at the end of every unit of work, inside its transaction, after the service's
   * own work and before the journal is written and the transaction commits, in the order
   * registered (createServices registers them: segment re-scoring). What it records (audit
   * entries, events) commits with the work; what it throws rolls the work back.
   */
  onBeforeCommit(hook: BeforeCommit): void {
    this.beforeCommitHooks.push(hook);
  }

  /**
   * Calls `observer` after each commit that wrote audit rows or events (never before the
   * commit, never for a rollback). It must be quick and synchronous; what it throws is ignored.
   */
  onCommit(observer: (work: CommittedWork) => void): void {
    this.commitObservers.push(observer);
  }

  async run<T>(actor: Actor, fn: (work: UnitOfWork) => Promise<T>): Promise<T> {
    // Assigned in the callback: typed by assertion so the check below is not narrowed to null.
    let committed = null as UnitOfWork | null;
    const result = await this.db.transaction(async (tx) => {
      const work = new UnitOfWork(tx, actor, this.journal);
      const value = await fn(work);
      for (const hook of this.beforeCommitHooks) await hook(work);
      // Embedded mode has one process and no LISTEN: the in-process wake is all it needs.
      // Last: it commits (nothing may run after it in this transaction).
      await work.flush(this.db.kind === 'postgres' ? (this.relay?.id ?? '') : null);
      // The last attempt's work (a retried transaction builds a new one).
      committed = work.hasEvents ? work : null;
      return value;
    });
    if (committed) {
      this.relay?.wake();
      for (const observe of this.commitObservers) {
        try {
          observe(committed.recorded);
        } catch {
          // Counting must never fail a change that is already committed.
        }
      }
    }
    return result;
  }
}

/** The fields whose values differ, as {old, new} halves for an audit row. */
export function changedValues<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
): { oldValues: Record<string, unknown>; newValues: Record<string, unknown>; changed: string[] } {
  const oldValues: Record<string, unknown> = {};
  const newValues: Record<string, unknown> = {};
  for (const f of fields) {
    const a = before[f];
    const b = after[f];
    // A missing value and null are the same: a created row's empty fields did not "change".
    if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) {
      oldValues[f] = a ?? null;
      newValues[f] = b ?? null;
    }
  }
  return { oldValues, newValues, changed: Object.keys(newValues) };
}
