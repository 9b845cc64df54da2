import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { Mutex } from '../common/mutex';
import { Database, PoolStats, Queryable, StatementListeners, Transaction } from './database';
import { translateDbError } from './errors';
import { acquireLockFile } from './lock-file';
import { isTracing, sqlSpan } from '../observability/tracing';

const PG_DATE_OID = 1082;

/** The part of PGlite we use (typed here because its ESM and CJS typings differ). */
interface PGliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Embedded PostgreSQL (PGlite) for trying the service out. PGlite has a single session, so
 * concurrent transactions would not be isolated: every statement and transaction runs under
 * one mutex. A statement issued inside a running transaction (same async flow) joins it
 * rather than waiting for it, which would deadlock.
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  private readonly mutex = new Mutex();
  private readonly inTransaction = new AsyncLocalStorage<Transaction>();
  private readonly listeners = new StatementListeners();

  private constructor(
    readonly pglite: PGliteLike,
    private readonly releaseLock: () => void,
  ) {}

  static async open(dataDir: string): Promise<EmbeddedDatabase> {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    const release = acquireLockFile(dataDir);
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      // Calendar dates stay 'YYYY-MM-DD' strings, as in PostgresDatabase.
      const pglite = await PGlite.create({ dataDir, parsers: { [PG_DATE_OID]: (v: string) => v } });
      return new EmbeddedDatabase(pglite as unknown as PGliteLike, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  private direct: Queryable = {
    query: async <R>(text: string, params: readonly unknown[] = []) => {
      this.listeners.emit(text);
      // A span per statement when tracing (see PostgresDatabase.query).
      const res = await (isTracing() ? sqlSpan(text, () => this.pglite.query<R>(text, params as unknown[])) : this.pglite.query<R>(text, params as unknown[]));
      return res.rows;
    },
  };

  async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    const tx = this.inTransaction.getStore();
    try {
      if (tx) return await tx.query<R>(text, params);
      return await this.mutex.run(() => this.direct.query<R>(text, params));
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const outer = this.inTransaction.getStore();
    // Joins the running transaction (one session); its end is the outer one's to decide.
    if (outer) return fn({ query: outer.query, queryAndCommit: outer.query });
    try {
      return await this.mutex.run(() =>
        this.pglite.transaction(async (t) => {
          let ended = false;
          const query = async <R>(text: string, params: readonly unknown[] = []) => {
            if (ended) throw new Error('statement after queryAndCommit: the transaction has ended');
            this.listeners.emit(text);
            return (await (isTracing() ? sqlSpan(text, () => t.query<R>(text, params as unknown[])) : t.query<R>(text, params as unknown[]))).rows;
          };
          // One session in this process, no round trips to save: PGlite commits when fn returns.
          const queryAndCommit = async <R>(text: string, params?: readonly unknown[]) => {
            const rows = await query<R>(text, params);
            ended = true;
            return rows;
          };
          const tx: Transaction = { query, queryAndCommit };
          return this.inTransaction.run(tx, () => fn(tx));
        }),
      );
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  onStatement(listener: (text: string) => void): () => void {
    return this.listeners.add(listener);
  }

  /** One session: busy while a statement or transaction holds the mutex; the others wait for it. */
  poolStats(): PoolStats {
    const inUse = this.mutex.size;
    return { total: 1, idle: inUse ? 0 : 1, waiting: Math.max(0, inUse - 1), max: 1 };
  }

  async close(): Promise<void> {
    await this.mutex.run(() => this.pglite.close());
    this.releaseLock();
  }
}
