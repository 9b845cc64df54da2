/** Collects the values of a statement built from optional parts; each add() returns its $n. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A page's LIMIT written into the statement rather than passed as a parameter. A prepared
 * statement with `LIMIT $n` never gets a cached plan: PostgreSQL's generic plan assumes the
 * limit could be large, finds itself costlier than a plan for the actual value and re-plans on
 * every execution (1.3 ms for the customers page, twice its execution). A literal makes a
 * statement per page size (at most 101), each planned once. Only integers: the page size is
 * checked (cursor.ts pageSize) before it gets here, and this refuses anything else.
 */
export function limitClause(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a page size: ${n}`);
  return String(n);
}
