import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import type { DataSource, EntityManager } from 'typeorm';
import { Mutex } from '../common/mutex';
import { Database, PoolStats, StatementListeners, Transaction } from './database';
import { translateDbError } from './errors';
import { acquireLockFile } from './lock-file';
import { commandOf, OrmClient, OrmResult, openOrm, transactionManager } from './orm';
import { isTracing, sqlSpan } from '../observability/tracing';

const PG_DATE_OID = 1082;

/** The part of PGlite we use (typed here because its ESM and CJS typings differ). */
interface PGliteResults<R> {
  rows: R[];
  affectedRows?: number;
}
interface PGliteLike {
  query<R>(text: string, params?: unknown[]): Promise<PGliteResults<R>>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<PGliteResults<R>> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A PGlite result as node-postgres' (what TypeORM reads). */
function asOrmResult(text: string, res: PGliteResults<unknown>): OrmResult {
  return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length, command: commandOf(text) };
}

const NO_EVENTS = () => undefined;

/**
 * Embedded PostgreSQL (PGlite) for trying the service out. PGlite has a single session, so
 * concurrent transactions would not be isolated: every statement and transaction runs under
 * one mutex. A statement issued inside a running transaction (same async flow) joins it
 * rather than waiting for it, which would deadlock.
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  private readonly mutex = new Mutex();
  private readonly inTransaction = new AsyncLocalStorage<EmbeddedTransaction>();
  private readonly listeners = new StatementListeners();
  private dataSource: DataSource | null = null;

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
      const db = new EmbeddedDatabase(pglite as unknown as PGliteLike, release);
      // TypeORM on this one PGlite instance (a second instance on the folder would corrupt it).
      db.dataSource = await openOrm(async () => ({ client: db.ormClient((text, params) => db.execute(text, params)), release: () => undefined }));
      return db;
    } catch (err) {
      release();
      throw err;
    }
  }

  get orm(): DataSource {
    if (!this.dataSource) throw new Error('EmbeddedDatabase.open() opens the DataSource');
    return this.dataSource;
  }

  /** TypeORM outside a transaction; inside one (same async flow) its statements join it, as `query`'s do. */
  get manager(): EntityManager {
    return this.orm.manager;
  }

  /** One statement outside any transaction, under the mutex. */
  private direct<R>(text: string, params: readonly unknown[]): Promise<PGliteResults<R>> {
    this.listeners.emit(text);
    // A span per statement when tracing (see PostgresDatabase.query).
    return isTracing() ? sqlSpan(text, () => this.pglite.query<R>(text, params as unknown[])) : this.pglite.query<R>(text, params as unknown[]);
  }

  /** A statement in the running transaction when there is one, else on its own under the mutex. */
  private async execute(text: string, params: readonly unknown[] = []): Promise<OrmResult> {
    const tx = this.inTransaction.getStore();
    try {
      if (tx) return await (tx as EmbeddedTransaction).execute(text, params);
      return asOrmResult(text, await this.mutex.run(() => this.direct(text, params)));
    } catch (err) {
      throw translateDbError(err);
    }
  }

  private ormClient(run: (text: string, params: readonly unknown[]) => Promise<OrmResult>): OrmClient {
    return { query: (text, params = []) => run(text, params), on: NO_EVENTS, removeListener: NO_EVENTS };
  }

  async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.execute(text, params)).rows as R[];
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const outer = this.inTransaction.getStore();
    // Joins the running transaction (one session); its end is the outer one's to decide.
    if (outer) return fn({ query: outer.query, queryAndCommit: outer.query, manager: outer.manager });
    try {
      return await this.mutex.run(() =>
        this.pglite.transaction(async (t) => {
          let ended = false;
          const execute = async (text: string, params: readonly unknown[] = []) => {
            if (ended) throw new Error('statement after queryAndCommit: the transaction has ended');
            this.listeners.emit(text);
            const res = await (isTracing() ? sqlSpan(text, () => t.query(text, params as unknown[])) : t.query(text, params as unknown[]));
            return asOrmResult(text, res);
          };
          const query = async <R>(text: string, params: readonly unknown[] = []) => (await execute(text, params)).rows as R[];
          // One session in this process, no round trips to save: PGlite commits when fn returns.
          const queryAndCommit = async <R>(text: string, params?: readonly unknown[]) => {
            const rows = await query<R>(text, params);
            ended = true;
            return rows;
          };
          let manager: EntityManager | undefined;
          const orm = this.orm;
          const client = this.ormClient(execute);
          const tx: EmbeddedTransaction = {
            query,
            queryAndCommit,
            execute,
            get manager() {
              return (manager ??= transactionManager(orm, client));
            },
          };
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
    await this.dataSource?.destroy();
    await this.mutex.run(() => this.pglite.close());
    this.releaseLock();
  }
}

/** A transaction, plus the full result of a statement for TypeORM. */
interface EmbeddedTransaction extends Transaction {
  execute(text: string, params?: readonly unknown[]): Promise<OrmResult>;
}
