import type { MigrationInterface, QueryRunner } from 'typeorm';
import { migrations } from '../../migrations';
import type { Database, Queryable } from './database';
import { withoutStatementTimeout } from './timeouts';

/**
 * Applies pending migrations, in order, in one transaction. The bookkeeping table is
 * TypeORM's own (`migrations`: id, timestamp, name), so `npm run typeorm migration:show`
 * (ormconfig.ts) agrees with what ran here. We run them ourselves rather than through a
 * TypeORM DataSource so that one code path serves both PostgreSQL and embedded PGlite, and
 * so that an advisory lock makes replicas starting together apply them exactly once.
 *
 * Our migrations only call `queryRunner.query(sql)`, which is all the shim provides.
 */
export async function runMigrations(db: Database, list: MigrationInterface[] = migrations): Promise<string[]> {
  return db.transaction(async (tx) => {
    // DDL over big tables may run long, and the other replicas wait here for the one applying.
    await withoutStatementTimeout(tx);
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('customer-subgraph:migrations'))");
    await tx.query('CREATE TABLE IF NOT EXISTS migrations (id SERIAL PRIMARY KEY, "timestamp" BIGINT NOT NULL, name VARCHAR NOT NULL)');
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM migrations')).map((r) => r.name));
    const applied: string[] = [];
    for (const migration of list) {
      const name = migration.name ?? migration.constructor.name;
      if (done.has(name)) continue;
      await migration.up(shim(tx));
      await tx.query('INSERT INTO migrations ("timestamp", name) VALUES ($1, $2)', [timestampOf(name), name]);
      applied.push(name);
    }
    return applied;
  });
}

function shim(tx: Queryable): QueryRunner {
  return { query: (sql: string, params?: unknown[]) => tx.query(sql, params) } as unknown as QueryRunner;
}

/** TypeORM names migrations `<Name><13-digit timestamp>`. */
function timestampOf(name: string): number {
  const m = /(\d{13})$/.exec(name);
  if (!m) throw new Error(`Migration ${name} must end with a 13-digit timestamp, as TypeORM names them`);
  return Number(m[1]);
}
