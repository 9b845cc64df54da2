import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { entities } from './entities';

/** What TypeORM's postgres driver reads of a statement's result (node-postgres' `Result`). */
export interface OrmResult {
  rows: unknown[];
  rowCount: number | null;
  command: string;
}

/**
 * The part of a node-postgres client TypeORM's postgres driver uses: `query(text, values)`,
 * and `on`/`removeListener` for 'error'. Ours run every statement through the Database's own
 * path (statement listeners, tracing, named prepared statements, the embedded mutex), so a
 * statement TypeORM sends is counted and traced like any other.
 */
export interface OrmClient {
  query(text: string, values?: readonly unknown[]): Promise<OrmResult>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Lends one client of the Database's own pool (or its one PGlite session) to TypeORM. */
export type OrmConnect = () => Promise<{ client: OrmClient; release(err?: Error): void }>;

/**
 * A TypeORM DataSource over the connection the service already has, never a second one: its
 * `driver` option (node-postgres' module by default) is a pg-compatible facade whose `Pool`
 * lends the Database's clients. For PostgreSQL that is the one pg pool, in `pipeline` mode
 * (postgres.ts); for the embedded default the one PGlite instance (a second instance on the
 * same folder would corrupt it), under its mutex. Closing the DataSource leaves the pool to
 * its owner, the Database.
 */
export async function openOrm(connect: OrmConnect): Promise<DataSource> {
  const pool = {
    on: () => pool,
    connect(callback: (err: Error | null, client?: OrmClient, release?: (err?: Error) => void) => void) {
      connect().then(
        ({ client, release }) => callback(null, client, release),
        (err: Error) => callback(err),
      );
    },
    end: (callback?: (err?: Error) => void) => callback?.(),
  };
  // Called with `new`: a constructor returning an object makes that object the instance.
  function Pool() {
    return pool;
  }
  return new DataSource({
    type: 'postgres',
    driver: { Pool },
    entities,
    // Ids default to gen_random_uuid() (built in since PostgreSQL 13): no extension to install,
    // which PGlite could not do anyway.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
  }).initialize();
}

/**
 * A query runner on one client of a transaction the Database runs (pipelined BEGIN and COMMIT,
 * retries, the unit of work's audit and outbox rows): TypeORM is told a transaction is active,
 * so `save` and friends never open one of their own, and it can neither start, commit, roll
 * back nor release it.
 */
class TransactionQueryRunner extends PostgresQueryRunner {
  constructor(driver: PostgresDriver, client: OrmClient) {
    super(driver, 'master');
    this.databaseConnection = client;
    this.isTransactionActive = true;
  }

  override startTransaction(): Promise<void> {
    return Promise.reject(new Error('transactions come from the unit of work (Database.transaction), not from TypeORM'));
  }

  override commitTransaction(): Promise<void> {
    return this.startTransaction();
  }

  override rollbackTransaction(): Promise<void> {
    return this.startTransaction();
  }

  override release(): Promise<void> {
    this.isReleased = true;
    return Promise.resolve();
  }
}

/** An EntityManager whose statements run in the transaction `client` belongs to. */
export function transactionManager(orm: DataSource, client: OrmClient): EntityManager {
  const runner = new TransactionQueryRunner(orm.driver as PostgresDriver, client);
  const manager = orm.createEntityManager(runner);
  runner.manager = manager;
  return manager;
}

/** The first keyword of a statement, as node-postgres' `command` (TypeORM reads UPDATE and DELETE counts by it). */
export function commandOf(text: string): string {
  return (/^\s*([A-Za-z]+)/.exec(text)?.[1] ?? '').toUpperCase();
}
