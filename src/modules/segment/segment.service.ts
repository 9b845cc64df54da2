import { isUuid } from '../../common/ids';
import type { Database, Queryable } from '../../db/database';
import { lockCustomer } from '../../db/locks';
import { withoutStatementTimeout } from '../../db/timeouts';
import { SqlParams } from '../../db/sql-params';
import type { Actor } from '../../auth/actor';
import { Transactor, UnitOfWork } from '../../application/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { OutboxRepository } from '../../events/outbox.repository';
import { MEMBERSHIP_CHANGED } from '../../events/topics';
import { SEGMENT_COLUMNS, SegmentRecord } from './segment.record';
import { checkRules, compileMembership, RuleInput, SegmentRuleRecord } from './segment.rules';

export interface SegmentDefinition {
  name: string;
  description?: string | null;
  isActive?: boolean | null;
  rules: RuleInput[];
  minScore?: number | null;
}

export interface RefreshResult {
  segment: SegmentRecord;
  added: number;
  removed: number;
  memberCount: number;
}

/** Advisory lock key of the scheduled refresh (one replica at a time). */
export const REFRESH_LOCK = 7_264_002;
/** Advisory lock class of one segment's memberships: refresh exclusive, re-score and erasure shared. */
export const MEMBERS_LOCK = 7_264_003;

const outbox = new OutboxRepository();

/**
 * Shared locks on the memberships of every active segment, in id order, for the rest of the
 * transaction, and their definitions (`genericPlans`: and generic plans for the prepared
 * statements of the rest of the transaction). A refresh holds its segment's lock exclusively, so a
 * re-score or an erasure waits for it to commit (and then sees its result) instead of racing
 * it: without this, a refresh working from an older snapshot could put back a membership that
 * a concurrent change (or erasure) had just removed. Advisory locks live in memory: no row
 * is written, so busy segments do not become hot rows.
 */
export async function lockActiveSegments(tx: Queryable, { genericPlans = false } = {}): Promise<Pick<SegmentRecord, 'id' | 'rules' | 'minScore'>[]> {
  return tx.query<Pick<SegmentRecord, 'id' | 'rules' | 'minScore'>>(
    `SELECT s.id, s.rules, s."minScore", pg_advisory_xact_lock_shared(${MEMBERS_LOCK}, hashtext(s.id::text)) IS NULL AS _
            ${genericPlans ? ", set_config('plan_cache_mode', 'force_generic_plan', true) IS NULL AS _g" : ''}
       FROM (SELECT id, rules, min_score AS "minScore" FROM customer_segments WHERE is_active ORDER BY id) s`,
  );
}

async function lockMembers(tx: Queryable, segmentId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${MEMBERS_LOCK}, hashtext($1::text))`, [segmentId]);
}

/**
 * Segments: rules compiled to one SQL expression (segment.rules.ts), used both to recompute
 * a segment for every customer in a constant number of statements and to re-score one
 * customer inside the transaction that changed them.
 */
export class SegmentService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
    /** CUSTOMER_ENABLE_SEGMENTS: off, changes do not re-score customers (refreshes and evaluations still work). */
    private readonly incremental: boolean,
  ) {}

  /**
   * The unit of work's last step before it commits (createServices registers it with
   * `Transactor.onBeforeCommit`): re-scores the customers the change marked
   * (`segmentsMayChange`), inside the changing transaction. Sends nothing when none was marked.
   */
  async beforeCommit(w: UnitOfWork): Promise<void> {
    if (w.rescore.size) await this.rescore(w, [...w.rescore]);
  }

  list(): Promise<SegmentRecord[]> {
    return this.db.query<SegmentRecord>(`SELECT ${SEGMENT_COLUMNS} FROM customer_segments s ORDER BY lower(s.name), s.id`);
  }

  async create(input: SegmentDefinition, actor: Actor): Promise<SegmentRecord> {
    const def = definition(input);
    return this.work.run(actor, async (w) => {
      const [row] = await guardName(() =>
        w.tx.query<SegmentRecord>(
          `INSERT INTO customer_segments AS s (name, description, is_active, rules, min_score)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${SEGMENT_COLUMNS}`,
          [def.name, def.description, def.isActive, JSON.stringify(def.rules), def.minScore],
        ),
      );
      w.audit({ eventType: 'segment.create', customerId: null, resourceId: row.id, operation: 'create', newValues: { ...def } });
      return row;
    });
  }

  async update(id: string, input: SegmentDefinition, actor: Actor): Promise<SegmentRecord> {
    const def = definition(input);
    return this.work.run(actor, async (w) => {
      const before = await lockSegment(w.tx, id);
      const [row] = await guardName(() =>
        w.tx.query<SegmentRecord>(
          `UPDATE customer_segments AS s SET name = $2, description = $3, is_active = $4, rules = $5, min_score = $6, updated_at = now()
            WHERE s.id = $1 RETURNING ${SEGMENT_COLUMNS}`,
          [id, def.name, def.description, def.isActive, JSON.stringify(def.rules), def.minScore],
        ),
      );
      const { id: _id, createdAt: _c, updatedAt: _u, ...old } = before;
      w.audit({ eventType: 'segment.update', customerId: null, resourceId: id, operation: 'update', oldValues: old, newValues: { ...def } });
      return row;
    });
  }

  async delete(id: string, actor: Actor): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.work.run(actor, async (w) => {
      const [row] = await w.tx.query<{ name: string }>('DELETE FROM customer_segments WHERE id = $1 RETURNING name', [id]);
      if (row) {
        // Memberships have no foreign key (see the migration): they go with their segment here,
        // each with its leave event, so consumers and subscribers drop them too.
        await lockMembers(w.tx, id);
        const p = new SqlParams();
        const seg = p.add(id);
        await w.tx.query(
          `WITH left_ AS (DELETE FROM customer_segment_members WHERE segment_id = ${seg}::uuid RETURNING customer_id),
                changes AS (SELECT customer_id, false AS joined FROM left_), ${outbox.membershipBatches(p, 'changes', seg)}
           SELECT 1`,
          p.values,
        );
      }
      if (row) w.audit({ eventType: 'segment.delete', customerId: null, resourceId: id, operation: 'delete', oldValues: { name: row.name } });
      return Boolean(row);
    });
  }

  /**
   * Recomputes one segment for every live customer in three statements: one that inserts the
   * joiners, deletes the leavers and writes their membership events (a single SQL
   * statement with data-modifying CTEs), one member count over the segment's own rows, and
   * the refresh time. The segment row is locked, so two refreshes of one segment queue.
   */
  async refresh(id: string, actor: Actor): Promise<RefreshResult> {
    return this.work.run(actor, async (w) => {
      // Its statements grow with the number of customers, and it queues behind another refresh.
      await withoutStatementTimeout(w.tx);
      const segment = await lockSegment(w.tx, id);
      if (!segment.isActive) throw DomainError.badInput('id', 'the segment is inactive; activate it before refreshing');
      await lockMembers(w.tx, segment.id);
      const { added, removed } = await refreshMembers(w.tx, segment);
      const [{ n }] = await w.tx.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_segment_members WHERE segment_id = $1', [id]);
      await w.tx.query('UPDATE customer_segments SET last_refreshed_at = now() WHERE id = $1', [id]);
      w.audit({ eventType: 'segment.refresh', customerId: null, resourceId: id, operation: 'refresh', metadata: { added, removed, memberCount: n } });
      return { segment, added, removed, memberCount: n };
    });
  }

  /** Every active segment, by one replica at a time (the others skip this round). Answers false when another holds the lock. */
  async refreshAll(actor: Actor): Promise<boolean> {
    return this.work.run(actor, async (w) => {
      const [{ locked }] = await w.tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [REFRESH_LOCK]);
      if (!locked) return false;
      await withoutStatementTimeout(w.tx);
      const segments = await w.tx.query<SegmentRecord>(`SELECT ${SEGMENT_COLUMNS} FROM customer_segments s WHERE s.is_active ORDER BY s.id FOR UPDATE`);
      for (const segment of segments) {
        await lockMembers(w.tx, segment.id);
        const { added, removed } = await refreshMembers(w.tx, segment);
        if (added || removed) {
          w.audit({
            eventType: 'segment.refresh',
            customerId: null,
            resourceId: segment.id,
            operation: 'refresh',
            metadata: { added, removed, scheduled: true },
          });
        }
      }
      await w.tx.query('UPDATE customer_segments SET last_refreshed_at = now() WHERE is_active');
      return true;
    });
  }

  /** Re-scores one customer on demand; answers the segments they now belong to. */
  async evaluate(customerId: string, actor: Actor): Promise<SegmentRecord[]> {
    return this.work.run(actor, async (w) => {
      await lockCustomer(w.tx, customerId);
      await this.rescoreAll(w, [customerId]);
      return w.tx.query<SegmentRecord>(
        `SELECT ${SEGMENT_COLUMNS} FROM customer_segment_members m JOIN customer_segments s ON s.id = m.segment_id AND s.is_active
          WHERE m.customer_id = $1 ORDER BY lower(s.name), s.id`,
        [customerId],
      );
    });
  }

  /** Incremental evaluation inside the caller's unit of work (changes of customers, order statistics); off with CUSTOMER_ENABLE_SEGMENTS=false. */
  async rescore(w: UnitOfWork, customerIds: string[]): Promise<void> {
    if (this.incremental) await this.rescoreAll(w, customerIds);
  }

  /**
   * Incremental evaluation: every active segment scored for these customers in one
   * statement (one boolean column per segment, next to the memberships they hold now), then
   * the joins inserted and the leaves deleted, with a membership event each. Two statements
   * when nothing changes (one when there is no active segment).
   */
  private async rescoreAll(w: UnitOfWork, customerIds: string[]): Promise<void> {
    // Generic plans for the rest of the transaction: the scoring statement is prepared, but
    // PostgreSQL keeps re-planning it for each customer (a custom plan, five joins: about
    // 0.7 ms, three times its execution) because `unnest($n)` looks like ten rows to a
    // generic plan. The plan is an index look-up per customer whatever the values.
    const segments = await lockActiveSegments(w.tx, { genericPlans: true });
    if (!segments.length) return;
    const p = new SqlParams();
    const joins = new Set<string>();
    const columns = segments.map((s, i) => {
      const compiled = compileMembership(s.rules, s.minScore, p);
      compiled.joins.forEach((j) => joins.add(j));
      return `${compiled.sql} AS m${i}`;
    });
    const ids = p.add(customerIds);
    const rows = await w.tx.query<Record<string, boolean | string[] | string>>(
      `SELECT ids.id, (c.id IS NOT NULL) AS live, ${columns.join(', ')},
              ARRAY(SELECT m.segment_id::text FROM customer_segment_members m WHERE m.customer_id = ids.id) AS current
         FROM unnest(${ids}::uuid[]) AS ids(id)
         LEFT JOIN customers c ON c.id = ids.id AND c.deleted_at IS NULL
         ${[...joins].join('\n')}`,
      p.values,
    );
    const joinRows: [string, string][] = [];
    const leaveRows: [string, string][] = [];
    for (const row of rows) {
      const customerId = row.id as string;
      const current = new Set(row.current as string[]);
      segments.forEach((s, i) => {
        const member = row.live === true && row[`m${i}`] === true;
        if (member && !current.has(s.id)) joinRows.push([s.id, customerId]);
        if (!member && current.has(s.id)) leaveRows.push([s.id, customerId]);
      });
    }
    // Only what the statements did gets an event (RETURNING). A segment deleted while this
    // waited for its lock was still in lockActiveSegments' snapshot; the insert's own snapshot
    // is newer and no longer has it, so no membership of a deleted segment is left behind.
    type Change = { segmentId: string; customerId: string };
    const joined = joinRows.length
      ? await w.tx.query<Change>(
          `INSERT INTO customer_segment_members (segment_id, customer_id)
           SELECT j.segment_id, j.customer_id FROM unnest($1::uuid[], $2::uuid[]) AS j(segment_id, customer_id)
            WHERE EXISTS (SELECT 1 FROM customer_segments s WHERE s.id = j.segment_id)
           ON CONFLICT DO NOTHING RETURNING segment_id AS "segmentId", customer_id AS "customerId"`,
          [joinRows.map((r) => r[0]), joinRows.map((r) => r[1])],
        )
      : [];
    const left = leaveRows.length
      ? await w.tx.query<Change>(
          `DELETE FROM customer_segment_members m USING unnest($1::uuid[], $2::uuid[]) AS l(segment_id, customer_id)
            WHERE m.segment_id = l.segment_id AND m.customer_id = l.customer_id
           RETURNING m.segment_id AS "segmentId", m.customer_id AS "customerId"`,
          [leaveRows.map((r) => r[0]), leaveRows.map((r) => r[1])],
        )
      : [];
    for (const [isJoin, list] of [
      [true, joined],
      [false, left],
    ] as const) {
      for (const { segmentId, customerId } of list) {
        w.emit({ type: MEMBERSHIP_CHANGED, customerId, data: { segmentId, customerId, joined: isJoin } });
      }
    }
  }
}

/**
 * The set-based recompute of one segment. The eligible set is computed once (a
 * MATERIALIZED CTE); joiners are inserted, leavers deleted, and the changes go to the outbox
 * in batches (OutboxRepository.membershipBatches). Deleted customers are never eligible.
 */
async function refreshMembers(tx: Queryable, segment: Pick<SegmentRecord, 'id' | 'rules' | 'minScore'>): Promise<{ added: number; removed: number }> {
  // A bulk statement over every customer: a nested loop is never right here, and when the
  // planner misjudges the member count (an empty or freshly truncated table) its anti-join of
  // 300,000 members against 300,000 eligible ids as a nested loop ran for hours. Hash joins only,
  // with the memory to hash a million customers without spilling to disk. work_mem is per hash
  // node (three here, times hash_mem_multiplier): a refresh may take a few hundred MB while it
  // runs. The schedule refreshes one segment after another; manual refreshes of different
  // segments can run at once.
  await tx.query("SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true)");
  const p = new SqlParams();
  const compiled = compileMembership(segment.rules, segment.minScore, p);
  const seg = p.add(segment.id);
  const [row] = await tx.query<{ added: number; removed: number }>(
    `WITH eligible AS MATERIALIZED (
       SELECT c.id FROM customers c ${[...compiled.joins].join(' ')}
        WHERE c.deleted_at IS NULL AND ${compiled.sql}
     ), joined AS (
       INSERT INTO customer_segment_members (segment_id, customer_id)
       SELECT ${seg}::uuid, e.id FROM eligible e ORDER BY e.id ON CONFLICT DO NOTHING
       RETURNING customer_id
     ), left_ AS (
       DELETE FROM customer_segment_members m
        WHERE m.segment_id = ${seg}::uuid AND NOT EXISTS (SELECT 1 FROM eligible e WHERE e.id = m.customer_id)
       RETURNING customer_id
     ), changes AS (
       SELECT customer_id, true AS joined FROM joined
       UNION ALL SELECT customer_id, false FROM left_
     ), ${outbox.membershipBatches(p, 'changes', seg)}
     SELECT (SELECT count(*)::int FROM joined) AS added, (SELECT count(*)::int FROM left_) AS removed`,
    p.values,
  );
  return { added: row.added, removed: row.removed };
}

function definition(input: SegmentDefinition): { name: string; description: string | null; isActive: boolean; rules: SegmentRuleRecord[]; minScore: number } {
  const name = input.name.trim();
  if (!name) throw DomainError.badInput('input.name', 'must not be empty');
  const minScore = input.minScore ?? 1;
  return {
    name,
    description: input.description?.trim() || null,
    isActive: input.isActive ?? true,
    rules: checkRules(input.rules, minScore),
    minScore,
  };
}

async function lockSegment(tx: Queryable, id: string): Promise<SegmentRecord> {
  const [row] = isUuid(id) ? await tx.query<SegmentRecord>(`SELECT ${SEGMENT_COLUMNS} FROM customer_segments s WHERE s.id = $1 FOR UPDATE`, [id]) : [];
  if (!row) throw DomainError.notFound('Segment');
  return row;
}

async function guardName<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUniqueViolation(err, 'uq_customer_segments_name')) throw DomainError.badInput('input.name', 'another segment has this name');
    throw err;
  }
}
