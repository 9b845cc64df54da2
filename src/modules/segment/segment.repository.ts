import { SegmentField, SegmentOperator } from '../../common/enums';
import type { Queryable } from '../../db/database';
import { SqlParams } from '../../db/sql-params';
import { OutboxRepository } from '../../events/outbox.repository';
import { CustomerSegmentEntity, SegmentMemberEntity } from './segment.entity';
import type { SegmentRecord } from './segment.record';
import { FieldKind, FIELDS, SegmentRuleRecord } from './segment.rules';

/** Advisory lock key of the scheduled refresh (one replica at a time). */
export const REFRESH_LOCK = 7_264_002;
/** Advisory lock class of one segment's memberships: refresh exclusive, re-score and erasure shared. */
export const MEMBERS_LOCK = 7_264_003;

/** What a SegmentRecord reads of the entity. */
const RECORD = [
  'id',
  'name',
  'description',
  'isActive',
  'rules',
  'minScore',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof CustomerSegmentEntity)[];
const SELECT = RECORD.map((p) => `s.${p}`);
/** The same, as a RETURNING list (written rows come back as records in the same statement). */
const RETURNING = 'id, name, description, is_active AS "isActive", rules, min_score AS "minScore", created_at AS "createdAt", updated_at AS "updatedAt"';

/** The record's columns as raw selections, for reads of memberships joined to their segment. */
const RAW_SELECT: [string, string][] = [
  ['s.id', 'id'],
  ['s.name', 'name'],
  ['s.description', 'description'],
  ['s.is_active', 'isActive'],
  ['s.rules', 'rules'],
  ['s.min_score', 'minScore'],
  ['s.created_at', 'createdAt'],
  ['s.updated_at', 'updatedAt'],
];

export interface SegmentValues {
  name: string;
  description: string | null;
  isActive: boolean;
  rules: SegmentRuleRecord[];
  minScore: number;
}

/** What scoring and refreshing read of a segment. */
export type SegmentRules = Pick<SegmentRecord, 'id' | 'rules' | 'minScore'>;

/** A customer's scores against the active segments: `member[i]` for `segments[i]`, and the segments they belong to now. */
export interface CustomerScore {
  customerId: string;
  /** False when there is no live customer of that id (erased, or never was). */
  live: boolean;
  member: boolean[];
  current: string[];
}

export interface MembershipChange {
  segmentId: string;
  customerId: string;
}

// ---- The rule compiler: a segment's rules as one SQL boolean over `customers c` ----------

/** Tables a field reads besides `customers c`, joined only when a rule needs them. */
type Join = 'statistics' | 'group' | 'preferences' | 'shipping';

/** Days and ages count in UTC, whatever the database session's time zone. */
const TODAY = "(now() AT TIME ZONE 'UTC')::date";

/** Each field's SQL over the aliases of JOINS: fixed strings, never built from client input. */
const FIELD_SQL: Record<SegmentField, { sql: string; join?: Join }> = {
  TOTAL_ORDERS: { sql: 'coalesce(st.total_orders, 0)', join: 'statistics' },
  TOTAL_SPENT: { sql: 'coalesce(st.total_spent, 0)', join: 'statistics' },
  AVERAGE_ORDER_VALUE: { sql: 'coalesce(round(st.total_spent / nullif(st.total_orders, 0), 2), 0)', join: 'statistics' },
  DAYS_SINCE_LAST_ORDER: { sql: `(${TODAY} - (st.last_order_at AT TIME ZONE 'UTC')::date)`, join: 'statistics' },
  DAYS_SINCE_REGISTRATION: { sql: `(${TODAY} - (c.created_at AT TIME ZONE 'UTC')::date)` },
  CUSTOMER_TYPE: { sql: 'c.customer_type' },
  STATUS: { sql: 'c.status' },
  GROUP_CODE: { sql: 'g.code', join: 'group' },
  COUNTRY_CODE: { sql: 'a.country_code', join: 'shipping' },
  EMAIL_DOMAIN: { sql: "lower(split_part(c.email, '@', 2))" },
  EMAIL_VERIFIED: { sql: 'c.email_verified' },
  EMAIL_MARKETING: { sql: 'coalesce(p.email_marketing, false)', join: 'preferences' },
  AGE: { sql: `extract(year FROM age(${TODAY}, c.date_of_birth))::int` },
};

/**
 * Other modules' tables the rules read, by the customer: hand-written, so that scoring every
 * customer (a refresh) or a few (re-scoring) is one set-based statement.
 */
const JOINS: Record<Join, string> = {
  statistics: 'LEFT JOIN customer_statistics st ON st.customer_id = c.id',
  group: 'LEFT JOIN customer_groups g ON g.id = c.group_id',
  preferences: 'LEFT JOIN customer_preferences p ON p.customer_id = c.id',
  // At most one row: a partial unique index allows one live default per type.
  shipping: "LEFT JOIN customer_addresses a ON a.customer_id = c.id AND a.type = 'SHIPPING' AND a.is_default AND a.deleted_at IS NULL",
};

const CAST: Record<FieldKind, string> = { integer: 'int', decimal: 'numeric', text: 'text', boolean: 'boolean' };

/** One rule as a boolean SQL condition; its value travels as a parameter. Unknown values (NULL) never match, and NEQ/NOT_IN are exactly NOT EQ/NOT IN. */
function condition(rule: SegmentRuleRecord, p: SqlParams): string {
  const cast = CAST[FIELDS[rule.field].kind];
  const x = FIELD_SQL[rule.field].sql;
  switch (rule.operator) {
    case SegmentOperator.EQ:
      return `coalesce(${x} = ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.NEQ:
      return `NOT coalesce(${x} = ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.GT:
      return `coalesce(${x} > ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.GTE:
      return `coalesce(${x} >= ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.LT:
      return `coalesce(${x} < ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.LTE:
      return `coalesce(${x} <= ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.IN:
      return `coalesce(${x} = ANY(${p.add(rule.value)}::${cast}[]), false)`;
    case SegmentOperator.NOT_IN:
      return `NOT coalesce(${x} = ANY(${p.add(rule.value)}::${cast}[]), false)`;
    case SegmentOperator.CONTAINS:
      return `coalesce(strpos(${x}, ${p.add(rule.value)}::text) > 0, false)`;
  }
}

/**
 * The membership test of a segment as one SQL boolean over `customers c` and the joins it
 * lists: the weights of the matching rules, summed, reach minScore. The same expression
 * scores one customer (incremental) and every customer (refresh), so both always agree.
 * Rules are checked (segment.rules.ts checkRules) before they are stored.
 */
export function compileMembership(rules: SegmentRuleRecord[], minScore: number, p: SqlParams): { sql: string; joins: Set<string> } {
  const joins = new Set<string>();
  const terms = rules.map((rule) => {
    const join = FIELD_SQL[rule.field].join;
    if (join) joins.add(JOINS[join]);
    return `CASE WHEN ${condition(rule, p)} THEN ${p.add(rule.weight)}::int ELSE 0 END`;
  });
  return { sql: `(${terms.join(' + ')}) >= ${p.add(minScore)}::int`, joins };
}

/**
 * `customer_segments` and `customer_segment_members`: the only code that reads or writes them,
 * locks included. Each method takes the database or the unit of work's transaction
 * (`Queryable`) and sends one statement unless it says otherwise.
 *
 * Ordinary reads and writes use TypeORM's QueryBuilder. Hand-written SQL (`manager.query`):
 * advisory locks (no entity API), and the set-based statements over customers that the rule
 * compiler builds (scoring and refreshing read the customers' rows and other modules' tables:
 * JOINS above), which write memberships and their outbox events in the same statement.
 *
 * Re-scoring runs inside every change of a customer (the unit of work's pre-commit hook), so
 * its statements (lockActiveShared, score, join, leave) go through the transaction's own
 * `query`, as they did before this repository, not TypeORM's: its query runner costs about
 * 15 µs of CPU more a statement (measured here: three statements and a commit, 315 against
 * 365 µs a transaction), which every customer mutation would pay two to four times.
 */
export class SegmentRepository {
  constructor(private readonly outbox = new OutboxRepository()) {}

  /** Every segment, by name. */
  list(q: Queryable): Promise<SegmentRecord[]> {
    return q.manager.createQueryBuilder(CustomerSegmentEntity, 's').select(SELECT).orderBy('lower(s.name)').addOrderBy('s.id').getMany();
  }

  /** `= ANY($1)` rather than `In()`: one statement text (one prepared statement) whatever the number of ids. */
  byIds(q: Queryable, ids: readonly string[]): Promise<SegmentRecord[]> {
    return q.manager.createQueryBuilder(CustomerSegmentEntity, 's').select(SELECT).where('s.id = ANY(:ids::uuid[])', { ids }).getMany();
  }

  /** The segment, its row locked (FOR UPDATE) until the transaction ends; null when there is none. */
  lockForUpdate(tx: Queryable, id: string): Promise<SegmentRecord | null> {
    return tx.manager.createQueryBuilder(CustomerSegmentEntity, 's').select(SELECT).where('s.id = :id', { id }).setLock('pessimistic_write').getOne();
  }

  /** Every active segment, in id order, each row locked (FOR UPDATE) until the transaction ends. */
  lockActiveForUpdate(tx: Queryable): Promise<SegmentRecord[]> {
    return tx.manager.createQueryBuilder(CustomerSegmentEntity, 's').select(SELECT).where('s.is_active').orderBy('s.id').setLock('pessimistic_write').getMany();
  }

  async insert(tx: Queryable, values: SegmentValues): Promise<SegmentRecord> {
    const res = await tx.manager.createQueryBuilder().insert().into(CustomerSegmentEntity).values(values).returning(RETURNING).execute();
    return (res.raw as SegmentRecord[])[0];
  }

  async update(tx: Queryable, id: string, values: SegmentValues): Promise<SegmentRecord> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerSegmentEntity)
      .set({ ...values, updatedAt: () => 'now()' })
      .where('id = :id', { id })
      .returning(RETURNING)
      .execute();
    return (res.raw as SegmentRecord[])[0];
  }

  /** Deletes the segment (not its memberships: deleteMembers); its name, null when there was none. */
  async delete(tx: Queryable, id: string): Promise<string | null> {
    const res = await tx.manager.createQueryBuilder().delete().from(CustomerSegmentEntity).where('id = :id', { id }).returning('name').execute();
    return (res.raw as { name: string }[])[0]?.name ?? null;
  }

  async markRefreshed(tx: Queryable, id: string): Promise<void> {
    await tx.manager.update(CustomerSegmentEntity, { id }, { lastRefreshedAt: () => 'now()' });
  }

  async markActiveRefreshed(tx: Queryable): Promise<void> {
    await tx.manager.update(CustomerSegmentEntity, { isActive: true }, { lastRefreshedAt: () => 'now()' });
  }

  // ---- Locks: advisory, held until the transaction ends (no entity API: manager.query) ----

  /** The scheduled refresh's lock, if no other replica holds it: true when taken. */
  async tryRefreshLock(tx: Queryable): Promise<boolean> {
    const [{ locked }] = await tx.manager.query<{ locked: boolean }[]>('SELECT pg_try_advisory_xact_lock($1) AS locked', [REFRESH_LOCK]);
    return locked;
  }

  /** The segment's membership lock, exclusively (a refresh, a deletion). */
  async lockMembers(tx: Queryable, segmentId: string): Promise<void> {
    await tx.manager.query(`SELECT pg_advisory_xact_lock(${MEMBERS_LOCK}, hashtext($1::text))`, [segmentId]);
  }

  /**
   * Shared membership locks of every active segment, in id order, and their definitions
   * (`genericPlans`: and generic plans for the prepared statements of the rest of the
   * transaction), in one statement. Advisory locks live in memory: no row is written, so busy
   * segments do not become hot rows.
   */
  lockActiveShared(tx: Queryable, { genericPlans = false } = {}): Promise<SegmentRules[]> {
    return tx.query<SegmentRules>(
      `SELECT s.id, s.rules, s."minScore", pg_advisory_xact_lock_shared(${MEMBERS_LOCK}, hashtext(s.id::text)) IS NULL AS _
              ${genericPlans ? ", set_config('plan_cache_mode', 'force_generic_plan', true) IS NULL AS _g" : ''}
         FROM (SELECT id, rules, min_score AS "minScore" FROM customer_segments WHERE is_active ORDER BY id) s`,
    );
  }

  // ---- Memberships ----

  /**
   * Members per segment, for the segments asked (absent: none): one grouped count over the
   * members' primary key. Active segments only: an inactive one is no longer re-scored, so its
   * rows are stale, and `members` (activeMemberCondition) lists none of them either.
   */
  async memberCounts(q: Queryable, segmentIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await q.manager
      .createQueryBuilder(SegmentMemberEntity, 'm')
      .select('m.segment_id', 'segmentId')
      .addSelect('count(*)::int', 'n')
      .innerJoin(CustomerSegmentEntity, 's', 's.id = m.segment_id AND s.is_active')
      .where('m.segment_id = ANY(:ids::uuid[])', { ids: segmentIds })
      .groupBy('m.segment_id')
      .getRawMany<{ segmentId: string; n: number }>();
    return new Map(rows.map((r) => [r.segmentId, r.n]));
  }

  async memberCount(q: Queryable, segmentId: string): Promise<number> {
    return (await this.memberCounts(q, [segmentId])).get(segmentId) ?? 0;
  }

  /** The active segments each customer belongs to, by name, with the customer's id: one statement for many customers. */
  activeSegmentsOf(q: Queryable, customerIds: readonly string[]): Promise<(SegmentRecord & { customerId: string })[]> {
    const qb = q.manager.createQueryBuilder(SegmentMemberEntity, 'm').select('m.customer_id', 'customerId');
    for (const [expr, alias] of RAW_SELECT) qb.addSelect(expr, alias);
    return qb
      .innerJoin(CustomerSegmentEntity, 's', 's.id = m.segment_id AND s.is_active')
      .where('m.customer_id = ANY(:ids::uuid[])', { ids: customerIds })
      .orderBy('s.name')
      .addOrderBy('s.id')
      .getRawMany<SegmentRecord & { customerId: string }>();
  }

  /** The active segments one customer belongs to, by name as `list` orders them. */
  activeSegmentsOfCustomer(q: Queryable, customerId: string): Promise<SegmentRecord[]> {
    return q.manager
      .createQueryBuilder(CustomerSegmentEntity, 's')
      .select(SELECT)
      .innerJoin(SegmentMemberEntity, 'm', 'm.segment_id = s.id')
      .where('m.customer_id = :customerId', { customerId })
      .andWhere('s.is_active')
      .orderBy('lower(s.name)')
      .addOrderBy('s.id')
      .getMany();
  }

  /** Export (GDPR): the customer's memberships, active segments or not, by segment name. */
  exportPersonal(q: Queryable, customerId: string): Promise<{ id: string; name: string; joinedAt: Date }[]> {
    return q.manager
      .createQueryBuilder(SegmentMemberEntity, 'm')
      .select('s.id', 'id')
      .addSelect('s.name', 'name')
      .addSelect('m.joined_at', 'joinedAt')
      .innerJoin(CustomerSegmentEntity, 's', 's.id = m.segment_id')
      .where('m.customer_id = :customerId', { customerId })
      .orderBy('s.name')
      .getRawMany();
  }

  /**
   * Erasure (GDPR): deletes the customer's memberships; answers the segments they left (a leave
   * event each is the caller's). Two statements: first the shared locks of the active segments,
   * so that a refresh in progress, which could otherwise put a membership back, commits first.
   */
  async erasePersonal(tx: Queryable, customerId: string): Promise<string[]> {
    await this.lockActiveShared(tx);
    const res = await tx.manager
      .createQueryBuilder()
      .delete()
      .from(SegmentMemberEntity)
      .where('customer_id = :customerId', { customerId })
      .returning('segment_id')
      .execute();
    return (res.raw as { segment_id: string }[]).map((r) => r.segment_id);
  }

  /**
   * A condition on `customers c` for another module's statement (the customer list's filter),
   * `segmentId` added to `p`: members of the segment while it is active. The primary key
   * (segment_id, customer_id) serves the probe.
   */
  activeMemberCondition(p: SqlParams, segmentId: string): string {
    return `EXISTS (SELECT 1 FROM customer_segment_members m JOIN customer_segments s ON s.id = m.segment_id
                WHERE m.segment_id = ${p.add(segmentId)}::uuid AND m.customer_id = c.id AND s.is_active)`;
  }

  /**
   * Scores these customers against `segments` in one statement (one boolean column per
   * segment, next to the memberships they hold now).
   */
  async score(tx: Queryable, segments: readonly SegmentRules[], customerIds: readonly string[]): Promise<CustomerScore[]> {
    const p = new SqlParams();
    const joins = new Set<string>();
    const columns = segments.map((s, i) => {
      const compiled = compileMembership(s.rules, s.minScore, p);
      compiled.joins.forEach((j) => joins.add(j));
      return `${compiled.sql} AS m${i}`;
    });
    const ids = p.add(customerIds);
    const rows = await tx.query<Record<string, boolean | string[] | string>>(
      `SELECT ids.id, (c.id IS NOT NULL) AS live, ${columns.join(', ')},
              ARRAY(SELECT m.segment_id::text FROM customer_segment_members m WHERE m.customer_id = ids.id) AS current
         FROM unnest(${ids}::uuid[]) AS ids(id)
         LEFT JOIN customers c ON c.id = ids.id AND c.deleted_at IS NULL
         ${[...joins].join('\n')}`,
      p.values,
    );
    return rows.map((row) => ({
      customerId: row.id as string,
      live: row.live === true,
      member: segments.map((_, i) => row[`m${i}`] === true),
      current: row.current as string[],
    }));
  }

  /**
   * Inserts these memberships of segments that still exist; answers those it inserted. A
   * segment deleted since the caller read it is gone from this statement's newer snapshot, so
   * no membership of a deleted segment is left behind.
   */
  join(tx: Queryable, joins: readonly MembershipChange[]): Promise<MembershipChange[]> {
    if (!joins.length) return Promise.resolve([]);
    return tx.query<MembershipChange>(
      `INSERT INTO customer_segment_members (segment_id, customer_id)
       SELECT j.segment_id, j.customer_id FROM unnest($1::uuid[], $2::uuid[]) AS j(segment_id, customer_id)
        WHERE EXISTS (SELECT 1 FROM customer_segments s WHERE s.id = j.segment_id)
       ON CONFLICT DO NOTHING RETURNING segment_id AS "segmentId", customer_id AS "customerId"`,
      [joins.map((r) => r.segmentId), joins.map((r) => r.customerId)],
    );
  }

  /** Deletes these memberships; answers those it deleted. */
  async leave(tx: Queryable, leaves: readonly MembershipChange[]): Promise<MembershipChange[]> {
    if (!leaves.length) return [];
    return tx.query<MembershipChange>(
      `DELETE FROM customer_segment_members m USING unnest($1::uuid[], $2::uuid[]) AS l(segment_id, customer_id)
        WHERE m.segment_id = l.segment_id AND m.customer_id = l.customer_id
       RETURNING m.segment_id AS "segmentId", m.customer_id AS "customerId"`,
      [leaves.map((r) => r.segmentId), leaves.map((r) => r.customerId)],
    );
  }

  /** Deletes every membership of a segment, with a leave event each (outbox membership batches), in one statement. */
  async deleteMembers(tx: Queryable, segmentId: string): Promise<void> {
    const p = new SqlParams();
    const seg = p.add(segmentId);
    await tx.manager.query(
      `WITH left_ AS (DELETE FROM customer_segment_members WHERE segment_id = ${seg}::uuid RETURNING customer_id),
            changes AS (SELECT customer_id, false AS joined FROM left_), ${this.outbox.membershipBatches(p, 'changes', seg)}
       SELECT 1`,
      p.values,
    );
  }

  /**
   * The set-based recompute of one segment over every live customer, in two statements: the
   * planner settings, then one that computes the eligible set once (a MATERIALIZED CTE),
   * inserts the joiners, deletes the leavers and writes their membership events to the outbox
   * in batches (OutboxRepository.membershipBatches). Deleted customers are never eligible.
   */
  async refreshMembers(tx: Queryable, segment: SegmentRules): Promise<{ added: number; removed: number }> {
    // A bulk statement over every customer: a nested loop is never right here, and when the
    // planner misjudges the member count (an empty or freshly truncated table) its anti-join of
    // 300,000 members against 300,000 eligible ids as a nested loop ran for hours. Hash joins only,
    // with the memory to hash a million customers without spilling to disk. work_mem is per hash
    // node (three here, times hash_mem_multiplier): a refresh may take a few hundred MB while it
    // runs. The schedule refreshes one segment after another; manual refreshes of different
    // segments can run at once.
    await tx.manager.query("SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', '64MB', true)");
    const p = new SqlParams();
    const compiled = compileMembership(segment.rules, segment.minScore, p);
    const seg = p.add(segment.id);
    const [row] = await tx.manager.query<{ added: number; removed: number }[]>(
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
       ), ${this.outbox.membershipBatches(p, 'changes', seg)}
       SELECT (SELECT count(*)::int FROM joined) AS added, (SELECT count(*)::int FROM left_) AS removed`,
      p.values,
    );
    return { added: row.added, removed: row.removed };
  }
}
