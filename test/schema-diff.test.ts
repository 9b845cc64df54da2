import pg from 'pg';
import { DataSource } from 'typeorm';
import { entities } from '../src/db/entities';
import { runMigrations } from '../src/db/migrate';
import { PostgresDatabase } from '../src/db/postgres';
import { createTestDatabase } from './helpers/server';

// `typeorm migration:generate` on an unchanged tree must propose nothing: the entities
// describe exactly the tables, columns, keys, checks and indexes the migrations create.
// TypeORM's own diff compares columns, keys, uniques and foreign keys; it matches checks and
// indexes by name only, and ignores tables without an entity and indexes declared
// `synchronize: false`: those are checked here by name, both ways.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let source: DataSource;
beforeAll(async () => {
  db = await createTestDatabase();
  const database = await PostgresDatabase.connect(db.dsn, 1);
  await runMigrations(database);
  await database.close();
  source = await new DataSource({ type: 'postgres', url: db.dsn, entities, uuidExtension: 'pgcrypto', installExtensions: false }).initialize();
});
afterAll(async () => {
  await source?.destroy();
  await db?.drop();
});

async function catalog<R>(sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.dsn });
  await client.connect();
  try {
    return (await client.query(sql)).rows as R[];
  } finally {
    await client.end();
  }
}

it('finds no difference between the entities and the migrated schema (what migration:generate would write)', async () => {
  const sql = await source.driver.createSchemaBuilder().log();
  expect(sql.upQueries.map((q) => q.query)).toEqual([]);
});

it('has an entity for every table, and every index and constraint by name', async () => {
  const tables = await catalog<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
  expect(source.entityMetadatas.map((m) => m.tableName).sort()).toEqual(tables.map((t) => t.name).sort());

  const inDatabase = await catalog<{ table: string; name: string }>(`
    SELECT c.relname AS table, i.relname AS name FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname <> 'migrations'
    UNION
    SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname <> 'migrations' AND k.contype <> 'n'`);
  const declared = source.entityMetadatas.flatMap((m) =>
    [
      ...m.indices.map((i) => i.name),
      ...m.uniques.map((u) => u.name),
      ...m.checks.map((c) => c.name),
      ...m.foreignKeys.map((f) => f.name),
      m.primaryColumns[0].primaryKeyConstraintName,
    ].map((name) => `${m.tableName}.${name}`),
  );
  expect([...new Set(declared)].sort()).toEqual(inDatabase.map((r) => `${r.table}.${r.name}`).sort());
});
