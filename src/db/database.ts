import type { DataSource, EntityManager } from 'typeorm';

/**
 * Anything that runs one parameterised statement: the database itself or an open transaction.
 * `manager` is TypeORM's EntityManager on the same connection (the transaction's, or the pool);
 * repositories use either, and both count, trace and prepare statements the same way.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  readonly manager: EntityManager;
}

/** An open transaction. */
export interface Transaction extends Queryable {
  /**
   * The transaction's last statement, with the COMMIT sent right behind it (PostgreSQL: in the
   * same round trip, pipelined). Resolves once both succeeded; rejects, with nothing
   * committed, if either failed. Must be the callback's last step: nothing may run after it.
   */
  queryAndCommit<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * The data layer's only entry point. Two implementations: PostgreSQL through a pg pool
 * (production) and embedded PGlite (trying it out). Repositories write TypeORM queries and
 * parameterised SQL that both accept (PostgreSQL 15 and PGlite's 18).
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'embedded';
  /** TypeORM's DataSource over this database's own pool or PGlite session (orm.ts): never a second connection. */
  readonly orm: DataSource;
  /** Runs fn in one transaction; retried on serialization failures and deadlocks. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Throws SERVICE_UNAVAILABLE when the database cannot answer. */
  ping(): Promise<void>;
  /** Called for every statement sent (tests count them to prove batching; metrics later). */
  onStatement(listener: (text: string) => void): () => void;
  /** Connection figures for metrics (read at scrape time); a wrapper should pass it through. */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

/** Open connections (sessions), idle ones, callers waiting for one, and the maximum. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export class StatementListeners {
  private readonly listeners = new Set<(text: string) => void>();

  add(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(text: string): void {
    for (const l of this.listeners) l(text);
  }
}
