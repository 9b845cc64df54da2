import pg from 'pg';
import { Database, PoolStats, Queryable, StatementListeners } from './database';
import { isConnectionError, isRetryableTransactionError, translateDbError } from './errors';
import { isTracing, sqlSpan } from '../observability/tracing';

// Calendar dates stay 'YYYY-MM-DD' strings: a JS Date would shift them by the time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

const MAX_TX_ATTEMPTS = 3;
/** Distinct statement texts kept as named prepared statements (each connection prepares on first use). */
const MAX_PREPARED = 256;

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly listeners = new StatementListeners();
  private readonly prepared = new Map<string, string>();

  constructor(dsn: string, poolSize: number) {
    this.pool = new pg.Pool({
      connectionString: dsn,
      max: poolSize,
      // Fail fast when the database is gone; the pool reconnects by itself when it returns.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30000,
    });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
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

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(fn);
      } catch (err) {
        if (attempt < MAX_TX_ATTEMPTS && isRetryableTransactionError(err)) continue;
        throw translateDbError(err);
      }
    }
  }

  private async runOnce<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      query: async <R>(text: string, params: readonly unknown[] = []) => {
        this.listeners.emit(text);
        const statement = { name: this.statementName(text), text, values: params as unknown[] };
        const res = await (isTracing() ? sqlSpan(text, () => client.query(statement)) : client.query(statement));
        return res.rows as R[];
      },
    };
    let broken: Error | undefined;
    // pg-pool drops its 'error' listener while a client is checked out: without this one, the
    // connection dying mid-transaction would be an unhandled 'error' event (a process crash).
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
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
    await this.pool.end();
  }
}
