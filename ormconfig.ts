import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from './migrations';
import { entities } from './src/db/entities';

/**
 * TypeORM CLI data source (`npm run typeorm -- migration:show`). The service applies the same
 * migrations itself on start (src/db/migrate.ts) and keeps TypeORM's bookkeeping table, so
 * both agree. `synchronize` is never on: migrations are the only source of the schema, and
 * the entities describe it exactly (`migration:generate` proposes nothing: test/schema-diff.test.ts).
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.CUSTOMER_DATABASE_DSN ?? 'postgres://postgres@127.0.0.1:5432/customer',
  entities,
  // Ids default to gen_random_uuid() (built in since PostgreSQL 13; no extension to install).
  uuidExtension: 'pgcrypto',
  installExtensions: false,
  synchronize: false,
  migrationsRun: false,
  migrations: migrations.map((m) => m.constructor as new () => typeof m),
});
