import type { Transaction } from '../db/database';
import { SqlParams } from '../db/sql-params';
import type { CloudEvent } from '../events/cloud-event';
import { OutboxRepository } from '../events/outbox.repository';
import { AuditRepository, AuditValues } from '../modules/audit/audit.repository';

/**
 * A unit of work's journal: its audit rows and outbox events, written in one statement that
 * ends the transaction, the COMMIT pipelined behind it (postgres.ts `queryAndCommit`), with a
 * NOTIFY that PostgreSQL delivers to every replica's relay only if the transaction commits.
 *
 * One statement on purpose: it is each mutation's last round trip, and what subscribers wait
 * for (commit to subscriber latency), so two statements would cost every mutation a round trip
 * (or, pipelined, still a second statement to parse, plan and execute). Each table's part of it
 * is written by the table's own repository (`journalInsert`: audit_events by
 * audit.repository.ts, outbox_events and the NOTIFY by outbox.repository.ts); this class only
 * joins them, so no SQL naming a table lives here. The text is the same whatever was recorded
 * (the rows travel as two JSON parameters): one prepared statement.
 */
export class JournalRepository {
  constructor(
    private readonly audits = new AuditRepository(),
    private readonly outbox = new OutboxRepository(),
  ) {}

  /**
   * Writes `audits` and `events` and commits; `notify`: the NOTIFY's payload, null for none.
   * Must be the transaction's last statement.
   */
  async writeAndCommit(tx: Transaction, audits: readonly AuditValues[], events: readonly CloudEvent[], notify: string | null): Promise<void> {
    const p = new SqlParams();
    await tx.queryAndCommit(
      `WITH audit AS (
         ${this.audits.journalInsert(p, audits)}
       ), events AS (
         ${this.outbox.journalInsert(p, events)}
       )
       ${this.outbox.journalNotify(p, notify)}`,
      p.values,
    );
  }
}
