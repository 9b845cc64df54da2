import type { Queryable } from './database';

/**
 * Lifts the pool's statement timeout (CUSTOMER_DB_STATEMENT_TIMEOUT_MS) for the rest of this
 * transaction, for work whose length grows with the data and that no client is waiting on
 * with a short deadline: migrations (DDL over big tables, and replicas waiting for the one
 * applying them) and segment refreshes (set-based statements over every customer). SET LOCAL
 * ends with the transaction, so the pooled connection goes back with the bound in place.
 */
export async function withoutStatementTimeout(tx: Queryable): Promise<void> {
  await tx.query('SET LOCAL statement_timeout = 0');
}
