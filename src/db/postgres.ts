import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { DatabaseTimeouts } from '../config/config';
import { Database, PoolStats, StatementListeners, Transaction } from './database';
import { isConnectionError, isRetryableTransactionError, translateDbError } from './errors';
import { OrmClient, openOrm, transactionManager } from './orm';
import { isTracing, sqlSpan } from '../observability/tracing';

/** The driver's own parameter serialisation (exported as `pg.utils`, missing from its types). */
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils;

// Calendar dates stay 'YYYY-MM-DD' strings: a JS Date would shift them by the time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

const MAX_TX_ATTEMPTS = 3;
/** Distinct statement texts kept as named prepared statements (each connection prepares on first use). */
const MAX_PREPARED = 256;

/**
 * Both answers of two pipelined statements, or the first error: the second promise is
 * always awaited too, so its rejection (the transaction aborted by the first) is never
 * left unhandled.
 */
async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * Runs `write` (which sends statements) with the connection's socket corked, so that what it
 * sends leaves in one write: one system call, and PostgreSQL is woken once and reads both
 * statements together.
 */
function together<T>(client: pg.PoolClient, write: () => T): T {
  const socket = (client as unknown as pg.Client).connection?.stream;
  socket?.cork();
  try {
    return write();
  } finally {
    socket?.uncork();
  }
}

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly listeners = new StatementListeners();
  private readonly prepared = new Map<string, string>();
  private dataSource: DataSource | null = null;

  /**
   * The pool and TypeORM's DataSource over it (one pool: TypeORM borrows its clients, see
   * orm.ts). Fails like any statement (SERVICE_UNAVAILABLE) when the database cannot be reached.
   */
  static async connect(dsn: string, poolSize: number, timeouts?: DatabaseTimeouts): Promise<PostgresDatabase> {
    const db = new PostgresDatabase(dsn, poolSize, timeouts);
    try {
      // Outside transactions, errors are translated here (an outage is SERVICE_UNAVAILABLE), as
      // `query` does: TypeORM hands a failed connect on as is, and wraps a failed statement in
      // a QueryFailedError that translateDbError unwraps. Transactions translate their own.
      db.dataSource = await openOrm(async () => {
        const client = await db.pool.connect().catch((err: unknown) => Promise.reject(translateDbError(err)));
        const run = (text: string, params: readonly unknown[]) => db.send(client, text, params).catch((err: unknown) => Promise.reject(translateDbError(err)));
        return { client: db.ormClient(client, run), release: (err) => client.release(err) };
      });
      return db;
    } catch (err) {
      await db.pool.end().catch(() => undefined);
      throw translateDbError(err);
    }
  }

  private constructor(dsn: string, poolSize: number, timeouts: DatabaseTimeouts = { statementMs: 0, idleInTransactionMs: 0 }) {
    this.pool = new pg.Pool({
      connectionString: dsn,
      max: poolSize,
      // Sent with the connection's start-up message (no extra round trip); 0 leaves the server's
      // own setting. A lock wait behind a stuck session then ends in SERVICE_UNAVAILABLE instead
      // of holding a request and a pooled connection for good.
      statement_timeout: timeouts.statementMs || undefined,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs || undefined,
      // Statements may be sent before the previous one's answer arrives; only transactions do
      // (BEGIN with their first statement, COMMIT with their last): see runOnce.
      pipeline: true,
      // Fail fast when the database is gone; the pool reconnects by itself when it returns.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
    });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  get orm(): DataSource {
    if (!this.dataSource) throw new Error('PostgresDatabase.connect() opens the DataSource');
    return this.dataSource;
  }

  /** TypeORM on the pool: each statement borrows a pooled client (outside any transaction). */
  get manager(): EntityManager {
    return this.orm.manager;
  }

  async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    this.listeners.emit(text);
    try {
      const statement = { name: this.statementName(text), text, values: params as unknown[] };
      // A span per statement when tracing; otherwise straight to the pool (no closure made).
      const res = await (isTracing() ? sqlSpan(text, () => this.pool.query(statement)) : this.pool.query(statement));
      return res.rows as R[];
    } catch (err) {
      throw translateDbError(err);
    }
  }

  /** One statement on one client: counted, traced, and a named prepared statement. */
  private send<R>(client: pg.PoolClient, text: string, params: readonly unknown[]): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    this.listeners.emit(text);
    const statement = { name: this.statementName(text), text, values: params as unknown[] };
    return isTracing() ? sqlSpan(text, () => client.query<R & pg.QueryResultRow>(statement)) : client.query<R & pg.QueryResultRow>(statement);
  }

  /** A client as TypeORM sees it: statements go through `run`, errors are the client's own. */
  private ormClient(client: pg.PoolClient, run: (text: string, params: readonly unknown[]) => Promise<pg.QueryResult>): OrmClient {
    return {
      query: (text, params = []) => run(text, params),
      on: (event, listener) => client.on(event as 'error', listener),
      removeListener: (event, listener) => client.removeListener(event, listener),
    };
  }

  /**
   * Statements run as named prepared statements, inside transactions too: PostgreSQL then
   * parses and plans each text once per connection instead of once per call (it shares the
   * CPU with us; re-scoring a customer against every segment got a third faster). Bounded,
   * because filter combinations and segment rules make the set of texts open-ended.
   */
  private statementName(text: string): string | undefined {
    let name = this.prepared.get(text);
    if (name === undefined && this.prepared.size < MAX_PREPARED) {
      name = `s${this.prepared.size}`;
      this.prepared.set(text, name);
    }
    return name;
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(fn);
      } catch (err) {
        if (attempt < MAX_TX_ATTEMPTS && isRetryableTransactionError(err)) continue;
        throw translateDbError(err);
      }
    }
  }

  /**
   * One attempt. On this kind of machine a round trip to PostgreSQL is a good part of a short
   * transaction's time, so two of them are saved by pipelining (the driver writes a statement
   * without waiting for the previous answer, which arrives in order): BEGIN goes out with the
   * first statement, and COMMIT with the last when the caller marks it (`queryAndCommit`).
   * A transaction that runs no statement sends neither.
   */
  private async runOnce<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read in the transaction's `manager` getter
    const self = this;
    const client = await this.pool.connect();
    let begun = false;
    let committed = false;
    /** What made queryAndCommit fail: the transaction did not commit, whatever fn does next. */
    let commitFailure = null as { error: unknown } | null; // set in a callback: not narrowed to null
    const send = <R>(text: string, params: readonly unknown[]) => this.send<R>(client, text, params);
    const commit = async (sent: Promise<pg.QueryResult>) => {
      // COMMIT of a transaction an error aborted answers ROLLBACK, not an error.
      const { command } = await sent;
      if (command !== 'COMMIT') throw new Error(`transaction ended with ${command}`);
    };
    const execute = async <R>(text: string, params: readonly unknown[] = []): Promise<pg.QueryResult<R & pg.QueryResultRow>> => {
      if (committed) throw new Error('statement after queryAndCommit: the transaction has ended');
      if (begun) return send<R>(text, params);
      begun = true;
      const [, res] = await settled(...together(client, () => [send('BEGIN', []), send<R>(text, params)] as const));
      return res;
    };
    const query = async <R>(text: string, params: readonly unknown[] = []): Promise<R[]> => (await execute<R>(text, params)).rows;
    const queryAndCommit = async <R>(text: string, params: readonly unknown[] = []): Promise<R[]> => {
      try {
        if (committed) throw new Error('statement after queryAndCommit: the transaction has ended');
        committed = true;
        // The transaction's only statement: atomic by itself, no BEGIN or COMMIT needed.
        if (!begun) return (await send<R>(text, params)).rows;
        // Serialised before anything is sent: a value the driver cannot serialise fails only
        // its own statement, and the COMMIT behind it would then commit the earlier ones.
        const values = params.map(prepareValue);
        const [res] = await settled(...together(client, () => [send<R>(text, values), commit(send('COMMIT', []))] as const));
        return res.rows;
      } catch (error) {
        commitFailure = { error };
        throw error;
      }
    };
    let manager: EntityManager | undefined;
    const tx: Transaction = {
      query,
      queryAndCommit,
      // Made when a repository first asks: TypeORM's statements join this transaction (its
      // first one still carries the pipelined BEGIN).
      get manager() {
        return (manager ??= transactionManager(self.orm, self.ormClient(client, execute)));
      },
    };
    let broken: Error | undefined;
    // pg-pool drops its 'error' listener while a client is checked out: without this one, the
    // connection dying mid-transaction would be an unhandled 'error' event (a process crash).
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      const result = await fn(tx);
      // fn caught the failure of its last statement and returned: still nothing committed.
      if (commitFailure) throw commitFailure.error;
      if (begun && !committed) {
        committed = true;
        await commit(send('COMMIT', []));
      }
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      else if (begun) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  onStatement(listener: (text: string) => void): () => void {
    return this.listeners.add(listener);
  }

  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.pool.options.max ?? 10 };
  }

  /** The pg pool, for code that must hold one session (advisory locks, LISTEN). */
  get rawPool(): pg.Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    await this.dataSource?.destroy();
    await this.pool.end();
  }
}
