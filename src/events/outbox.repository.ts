import { isUuid } from '../common/ids';
import type { Queryable, Transaction } from '../db/database';
import type { SqlParams } from '../db/sql-params';
import type { CloudEvent } from './cloud-event';
import { OutboxEventEntity } from './outbox.entity';
import type { OutboxRow } from './publisher';
import { MEMBERSHIP_BATCH, MEMBERSHIP_BATCH_SIZE } from './topics';

/** The NOTIFY channel of committed outbox events: every replica's relay LISTENs on it. */
export const OUTBOX_CHANNEL = 'customer_outbox';

/** Rows a relay claimed, and the pending rows it did not claim that some claimed rows must not overtake. */
export interface OutboxClaim {
  /** Locked until the transaction ends, in seq order. */
  claimed: OutboxRow[];
  /** Per customer of a claimed row: the seq of their first pending row not claimed (absent: none). */
  firstUnclaimedOf: Map<string, bigint>;
  /** The seq of the first pending membership batch not claimed; null: none. */
  firstUnclaimedBatch: bigint | null;
  /** Seqs of claimed membership batches that an earlier unclaimed pending row of one of their customers holds back. */
  blockedBatches: Set<string>;
}

/** How a failed publish is retried (the relay's configuration). */
export interface OutboxRetry {
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
}

/**
 * `outbox_events`: the only code that reads or writes it. Each method takes the database or a
 * transaction and sends one statement unless it says otherwise.
 *
 * Most of it is hand-written SQL, each saying why: the rows are written inside other
 * statements (the unit of work's committing statement, a segment refresh), the relay's claim is
 * `FOR UPDATE SKIP LOCKED` with its ordering barriers in the same statement, and the relay's
 * last statement carries the COMMIT (`queryAndCommit`), which TypeORM's EntityManager cannot send.
 */
export class OutboxRepository {
  /**
   * The unit of work's events as the body of a data-modifying CTE, `events` travelling as one
   * JSON parameter added to `p`: the journal (application/journal.repository.ts) writes them in
   * the one statement that writes the audit rows and commits. Hand-written: TypeORM cannot put
   * an insert inside another statement, and that statement, with the COMMIT pipelined behind it,
   * is each mutation's last round trip (what subscribers wait for). Its text is the same for
   * any number of events: one prepared statement.
   */
  journalInsert(p: SqlParams, events: readonly CloudEvent[]): string {
    const json = JSON.stringify(events.map((e) => ({ ...e, subject: isUuid(e.subject) ? e.subject : null })));
    return `INSERT INTO outbox_events (id, customer_id, type, payload)
         SELECT (e->>'id')::uuid, (e->>'subject')::uuid, e->>'type', e FROM jsonb_array_elements(${p.add(json)}::jsonb) AS e`;
  }

  /**
   * The select that ends the journal statement: a NOTIFY on OUTBOX_CHANNEL with `payload`, which
   * PostgreSQL delivers to every replica's relay only if the transaction commits; none when
   * `payload` is null (embedded mode has no LISTEN).
   */
  journalNotify(p: SqlParams, payload: string | null): string {
    const channel = p.add(OUTBOX_CHANNEL);
    const notify = p.add(payload);
    return `SELECT pg_notify(${channel}, ${notify}) WHERE ${notify} IS NOT NULL`;
  }

  /**
   * A CTE named `events` writing the rows of the CTE `changes` (customer_id, joined) of a
   * segment's refresh or deletion as membership batches, up to MEMBERSHIP_BATCH_SIZE changes a
   * row, which the relay fans out into one `segment.membership_changed` event per change
   * (events/membership-batch.ts). `segment`: the segment id's parameter. Part of the segment
   * repository's set-based statements (hundreds of thousands of changes never pass through
   * the process).
   */
  membershipBatches(p: SqlParams, changes: string, segment: string): string {
    const type = p.add(MEMBERSHIP_BATCH);
    const size = p.add(MEMBERSHIP_BATCH_SIZE);
    return `events AS (
       INSERT INTO outbox_events (id, customer_id, type, payload)
       SELECT gen_random_uuid(), NULL, ${type}::text, jsonb_build_object(
                'segmentId', ${segment}::uuid,
                'time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'joined', coalesce(jsonb_agg(ch.customer_id) FILTER (WHERE ch.joined), '[]'::jsonb),
                'left', coalesce(jsonb_agg(ch.customer_id) FILTER (WHERE NOT ch.joined), '[]'::jsonb))
         FROM (SELECT customer_id, joined, (row_number() OVER () - 1) / ${size}::int AS batch FROM ${changes}) ch
        GROUP BY ch.batch ORDER BY ch.batch
     )`;
  }

  /**
   * Claims up to `limit` due PENDING rows, oldest first, `FOR UPDATE SKIP LOCKED` (relays of
   * several replicas never take the same row, nor wait for each other), and in the same
   * statement (a round trip is a good part of a round's time) finds the pending rows it did not
   * claim that claimed rows must not overtake: each claimed customer's first unclaimed pending
   * row, the first unclaimed membership batch, and the claimed batches one of whose customers
   * has an earlier unclaimed pending row. Hand-written: TypeORM has SKIP LOCKED but none of the
   * rest in one statement. The round's commit need not wait for the WAL flush (set here, for
   * this transaction): losing it in a crash only re-publishes the batch, and delivery is at
   * least once anyway.
   */
  async claim(tx: Queryable, limit: number): Promise<OutboxClaim> {
    // The transaction's own `query`, not TypeORM's manager: every mutation's events cost a
    // round, and TypeORM's query runner adds about 15 µs of CPU a statement.
    const rows = await tx.query<OutboxRow & { kind: 'row' | 'customer' | 'batch' | 'blocked' }>(
      `WITH settings AS MATERIALIZED (
         SELECT set_config('synchronous_commit', 'off', true)
       ), claimed AS MATERIALIZED (
         SELECT o.seq, o.id, o.customer_id, o.type, o.payload, o.attempts FROM outbox_events o, settings
          WHERE o.status = 'PENDING' AND o.next_attempt_at <= now()
          ORDER BY o.seq LIMIT $1 FOR UPDATE OF o SKIP LOCKED
       )
       SELECT 'row' AS kind, seq::text AS seq, id, customer_id AS "customerId", type, payload, attempts FROM claimed
       UNION ALL
       SELECT 'customer', min(o.seq)::text, NULL, o.customer_id, NULL, NULL, NULL FROM outbox_events o
        WHERE o.status = 'PENDING' AND o.customer_id IN (SELECT customer_id FROM claimed) AND o.seq NOT IN (SELECT seq FROM claimed)
        GROUP BY o.customer_id
       UNION ALL
       SELECT 'batch', min(o.seq)::text, NULL, NULL, NULL, NULL, NULL FROM outbox_events o
        WHERE o.status = 'PENDING' AND o.customer_id IS NULL AND o.type = $2 AND o.seq NOT IN (SELECT seq FROM claimed)
       UNION ALL
       SELECT 'blocked', b.seq::text, NULL, NULL, NULL, NULL, NULL FROM claimed b
        WHERE b.type = $2 AND EXISTS (
          SELECT 1 FROM (SELECT jsonb_array_elements_text(b.payload->'joined')
                         UNION ALL SELECT jsonb_array_elements_text(b.payload->'left')) AS m(customer_id)
            JOIN outbox_events o ON o.customer_id = m.customer_id::uuid
           WHERE o.status = 'PENDING' AND o.seq < b.seq AND o.seq NOT IN (SELECT seq FROM claimed))`,
      [limit, MEMBERSHIP_BATCH],
    );
    const result: OutboxClaim = { claimed: [], firstUnclaimedOf: new Map(), firstUnclaimedBatch: null, blockedBatches: new Set() };
    for (const { kind, ...r } of rows) {
      if (kind === 'row') result.claimed.push(r);
      else if (r.seq === null) continue;
      else if (kind === 'customer') result.firstUnclaimedOf.set(r.customerId!, BigInt(r.seq));
      else if (kind === 'batch') result.firstUnclaimedBatch = BigInt(r.seq);
      else result.blockedBatches.add(r.seq);
    }
    result.claimed.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    return result;
  }

  /**
   * The claimed rows published: SENT, and the transaction committed with the statement (the
   * COMMIT pipelined behind it; the next claim of every relay waits for it). Hand-written:
   * `queryAndCommit` takes SQL, and must be the transaction's last statement.
   */
  async markSentAndCommit(tx: Transaction, seqs: readonly string[]): Promise<void> {
    await tx.queryAndCommit(
      `UPDATE outbox_events SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_attempted_at = now(), last_error = NULL
        WHERE seq = ANY($1::bigint[])`,
      [seqs],
    );
  }

  /**
   * The claimed rows failed to publish: retried after an exponential backoff, DEAD after
   * `maxAttempts`, unless `outage` (an outage is waited out however long it lasts: the
   * attempt is not counted). Commits, like markSentAndCommit.
   */
  async scheduleRetryAndCommit(tx: Transaction, seqs: readonly string[], error: string, retry: OutboxRetry, outage: boolean): Promise<void> {
    await tx.queryAndCommit(
      `UPDATE outbox_events
          SET attempts = attempts + (CASE WHEN $6 THEN 0 ELSE 1 END), last_attempted_at = now(), last_error = left($2, 500),
              next_attempt_at = now() + make_interval(secs => least($3::float8 * power(2, least(attempts, 30)), $4::float8) / 1000),
              status = CASE WHEN NOT $6 AND attempts + 1 >= $5 THEN 'DEAD' ELSE 'PENDING' END
        WHERE seq = ANY($1::bigint[])`,
      [seqs, error, retry.backoffBaseMs, retry.backoffMaxMs, retry.maxAttempts, outage],
    );
  }

  /**
   * Deletes up to `batchSize` SENT rows older than `retentionHours`; answers how many.
   * Hand-written: a bounded batch (TypeORM's delete has no LIMIT), counted in the same statement.
   */
  async pruneSent(q: Queryable, retentionHours: number, batchSize: number): Promise<number> {
    const [row] = await q.manager.query<{ n: number }[]>(
      `WITH gone AS (
         DELETE FROM outbox_events WHERE seq IN (
           SELECT seq FROM outbox_events WHERE status = 'SENT' AND sent_at < now() - make_interval(hours => $1) LIMIT $2)
         RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [retentionHours, batchSize],
    );
    return row.n;
  }

  /**
   * The backlog: pending rows and the age of the oldest by the database's clock (null: none),
   * in one statement on the partial index `idx_outbox_pending` (status = 'PENDING', by seq): a
   * count and the first row in seq (commit) order.
   */
  async pendingBacklog(q: Queryable): Promise<{ pending: number; oldestSeconds: number | null }> {
    const first = q.manager.createQueryBuilder(OutboxEventEntity, 'f').select('f.createdAt').where("f.status = 'PENDING'").orderBy('f.seq').limit(1);
    const row = await q.manager
      .createQueryBuilder(OutboxEventEntity, 'o')
      .select('count(*)::int', 'pending')
      .addSelect(`extract(epoch FROM now() - (${first.getQuery()}))::float8`, 'oldestSeconds')
      .where("o.status = 'PENDING'")
      .getRawOne<{ pending: number; oldestSeconds: number | null }>();
    return row!;
  }
}
