import { groupBy } from '../common/group-by';
import type { Queryable } from './database';

/** Most ids one coalesced statement carries; more start another statement. */
const MAX_IDS = 5000;

interface Batch {
  ids: Set<string>;
  rows: Promise<ReadonlyMap<string, unknown>>;
}

/** How a statement's rows are indexed for its callers. */
type Index = (rows: Record<string, unknown>[]) => ReadonlyMap<string, unknown>;

/**
 * Look-ups by primary key coalesced across concurrent requests: every request that asks, in
 * one turn of the event loop, for rows of the same statement (`... WHERE id = ANY($1::uuid[])`)
 * shares one execution of it. A statement's fixed costs (a write and a read on each side, a
 * backend woken, a transaction, a plan executed) dwarf one more id in `ANY($1)`, and they
 * are paid on the same two cores as the request, so 32 concurrent `customer(id)` requests
 * cost a few statements instead of 32.
 *
 * Safe to share because nothing is cached: a statement is sent after the calls that joined it
 * (so it sees every commit they saw), each caller picks only its own ids from the rows, and
 * each request still applies its own authorization to what it picked. Per-request caching and
 * de-duplication stay with the request's DataLoaders. Only for reads on the pool, never
 * inside a transaction.
 */
export class IdLookups {
  private readonly pending = new Map<string, Batch>();

  constructor(private readonly db: Queryable) {}

  /**
   * The rows of `sql` by their `id`: those of these ids, and possibly rows of other callers'
   * ids. The map is shared by every caller of the statement (indexed once, so a batch of n
   * callers costs n look-ups, not n scans of n rows); callers copy what they keep.
   */
  byId<R extends { id: string }>(sql: string, ids: readonly string[]): Promise<ReadonlyMap<string, R>> {
    return this.join(sql, ids, byIdIndex) as Promise<ReadonlyMap<string, R>>;
  }

  /**
   * The rows of `sql` (`... WHERE <key column> = ANY($1::uuid[]) ORDER BY ...`) grouped by their
   * `key` property, in row order: the many rows of each id (a customer's addresses). The rows and
   * lists are frozen, as they are shared by the callers: freezing them once per statement costs
   * less than a copy of every row for every request, and no request can change what another sees.
   */
  byKey<R>(sql: string, ids: readonly string[], key: keyof R & string): Promise<ReadonlyMap<string, readonly Readonly<R>[]>> {
    return this.join(sql, ids, (rows) => {
      const groups = groupBy(
        rows.map((r) => Object.freeze(r)),
        (r) => r[key] as string,
      );
      for (const list of groups.values()) Object.freeze(list);
      return groups;
    }) as Promise<ReadonlyMap<string, readonly Readonly<R>[]>>;
  }

  /** A statement text is always indexed the same way, so the pending batch of a text is one kind. */
  private join(sql: string, ids: readonly string[], index: Index): Promise<ReadonlyMap<string, unknown>> {
    let batch = this.pending.get(sql);
    if (!batch || batch.ids.size + ids.length > MAX_IDS) batch = this.open(sql, index);
    for (const id of ids) batch.ids.add(id);
    return batch.rows;
  }

  private open(sql: string, index: Index): Batch {
    const ids = new Set<string>();
    // setImmediate: after the I/O callbacks of this turn, so requests read in the same turn join.
    const rows = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        if (this.pending.get(sql) === batch) this.pending.delete(sql);
        return this.db.query<Record<string, unknown>>(sql, [[...ids]]);
      })
      .then(index);
    const batch: Batch = { ids, rows };
    this.pending.set(sql, batch);
    return batch;
  }
}

const byIdIndex: Index = (rows) => new Map(rows.map((r) => [r.id as string, r]));
