import { isUuid } from '../../common/ids';
import type { Database, Queryable } from '../../db/database';
import { lockCustomer } from '../../db/locks';
import { withoutStatementTimeout } from '../../db/timeouts';
import type { Actor } from '../../auth/actor';
import { Transactor, UnitOfWork } from '../../application/unit-of-work';
import { isUniqueViolation } from '../../db/errors';
import { DomainError } from '../../errors/domain-error';
import { MEMBERSHIP_CHANGED } from '../../events/topics';
import type { SegmentRecord } from './segment.record';
import { MembershipChange, SegmentRepository, SegmentRules, SegmentValues } from './segment.repository';
import { checkRules, RuleInput } from './segment.rules';

export { MEMBERS_LOCK, REFRESH_LOCK } from './segment.repository';

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

const segmentRepository = new SegmentRepository();

/**
 * Shared locks on the memberships of every active segment, in id order, for the rest of the
 * transaction, and their definitions (`genericPlans`: and generic plans for the prepared
 * statements of the rest of the transaction). A refresh holds its segment's lock exclusively, so a
 * re-score or an erasure waits for it to commit (and then sees its result) instead of racing
 * it: without this, a refresh working from an older snapshot could put back a membership that
 * a concurrent change (or erasure) had just removed.
 */
export function lockActiveSegments(tx: Queryable, options: { genericPlans?: boolean } = {}): Promise<SegmentRules[]> {
  return segmentRepository.lockActiveShared(tx, options);
}

/**
 * Segments: rules compiled to one SQL expression (segment.repository.ts compileMembership),
 * used both to recompute a segment for every customer in a constant number of statements and
 * to re-score one customer inside the transaction that changed them.
 */
export class SegmentService {
  constructor(
    private readonly db: Database,
    private readonly work: Transactor,
    /** CUSTOMER_ENABLE_SEGMENTS: off, changes do not re-score customers (refreshes and evaluations still work). */
    private readonly incremental: boolean,
    private readonly segments = segmentRepository,
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
    return this.segments.list(this.db);
  }

  async create(input: SegmentDefinition, actor: Actor): Promise<SegmentRecord> {
    const def = definition(input);
    return this.work.run(actor, async (w) => {
      const row = await guardName(() => this.segments.insert(w.tx, def));
      w.audit({ eventType: 'segment.create', customerId: null, resourceId: row.id, operation: 'create', newValues: { ...def } });
      return row;
    });
  }

  async update(id: string, input: SegmentDefinition, actor: Actor): Promise<SegmentRecord> {
    const def = definition(input);
    return this.work.run(actor, async (w) => {
      const before = await lockSegment(w.tx, id);
      const row = await guardName(() => this.segments.update(w.tx, id, def));
      const { id: _id, createdAt: _c, updatedAt: _u, ...old } = before;
      w.audit({ eventType: 'segment.update', customerId: null, resourceId: id, operation: 'update', oldValues: old, newValues: { ...def } });
      return row;
    });
  }

  async delete(id: string, actor: Actor): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.work.run(actor, async (w) => {
      const name = await this.segments.delete(w.tx, id);
      if (name === null) return false;
      // Memberships have no foreign key (see the migration): they go with their segment here,
      // each with its leave event, so consumers and subscribers drop them too.
      await this.segments.lockMembers(w.tx, id);
      await this.segments.deleteMembers(w.tx, id);
      w.audit({ eventType: 'segment.delete', customerId: null, resourceId: id, operation: 'delete', oldValues: { name } });
      return true;
    });
  }

  /**
   * Recomputes one segment for every live customer in four statements: the planner settings
   * and one that inserts the joiners, deletes the leavers and writes their membership events
   * (a single SQL statement with data-modifying CTEs: SegmentRepository.refreshMembers), one
   * member count over the segment's own rows, and the refresh time. The segment row is locked,
   * so two refreshes of one segment queue.
   */
  async refresh(id: string, actor: Actor): Promise<RefreshResult> {
    return this.work.run(actor, async (w) => {
      // Its statements grow with the number of customers, and it queues behind another refresh.
      await withoutStatementTimeout(w.tx);
      const segment = await lockSegment(w.tx, id);
      if (!segment.isActive) throw DomainError.badInput('id', 'the segment is inactive; activate it before refreshing');
      await this.segments.lockMembers(w.tx, segment.id);
      const { added, removed } = await this.segments.refreshMembers(w.tx, segment);
      const n = await this.segments.memberCount(w.tx, id);
      await this.segments.markRefreshed(w.tx, id);
      w.audit({ eventType: 'segment.refresh', customerId: null, resourceId: id, operation: 'refresh', metadata: { added, removed, memberCount: n } });
      return { segment, added, removed, memberCount: n };
    });
  }

  /** Every active segment, by one replica at a time (the others skip this round). Answers false when another holds the lock. */
  async refreshAll(actor: Actor): Promise<boolean> {
    return this.work.run(actor, async (w) => {
      if (!(await this.segments.tryRefreshLock(w.tx))) return false;
      await withoutStatementTimeout(w.tx);
      const segments = await this.segments.lockActiveForUpdate(w.tx);
      for (const segment of segments) {
        await this.segments.lockMembers(w.tx, segment.id);
        const { added, removed } = await this.segments.refreshMembers(w.tx, segment);
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
      await this.segments.markActiveRefreshed(w.tx);
      return true;
    });
  }

  /** Re-scores one customer on demand; answers the segments they now belong to. */
  async evaluate(customerId: string, actor: Actor): Promise<SegmentRecord[]> {
    return this.work.run(actor, async (w) => {
      await lockCustomer(w.tx, customerId);
      await this.rescoreAll(w, [customerId]);
      return this.segments.activeSegmentsOfCustomer(w.tx, customerId);
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
    const segments = await this.segments.lockActiveShared(w.tx, { genericPlans: true });
    if (!segments.length) return;
    const joins: MembershipChange[] = [];
    const leaves: MembershipChange[] = [];
    for (const score of await this.segments.score(w.tx, segments, customerIds)) {
      const current = new Set(score.current);
      segments.forEach((s, i) => {
        const member = score.live && score.member[i];
        const change = { segmentId: s.id, customerId: score.customerId };
        if (member && !current.has(s.id)) joins.push(change);
        if (!member && current.has(s.id)) leaves.push(change);
      });
    }
    // Only what the statements did gets an event (what they answer). A segment deleted while
    // this waited for its lock was still in lockActiveShared's snapshot; the insert's own
    // snapshot is newer and no longer has it, so no membership of a deleted segment is left behind.
    const joined = await this.segments.join(w.tx, joins);
    const left = await this.segments.leave(w.tx, leaves);
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

function definition(input: SegmentDefinition): SegmentValues {
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
  const row = isUuid(id) ? await segmentRepository.lockForUpdate(tx, id) : null;
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
