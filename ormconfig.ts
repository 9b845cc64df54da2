import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from './migrations';

/**
 * TypeORM CLI data source (`npm run typeorm -- migration:show`). The service applies the same
 * migrations itself on start (src/db/migrate.ts) and keeps TypeORM's bookkeeping table, so
 * both agree. `synchronize` is never on: migrations are the only source of the schema.
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.CUSTOMER_DATABASE_DSN ?? 'postgres://postgres@127.0.0.1:5432/customer',
  synchronize: false,
  migrationsRun: false,
  migrations: migrations.map((m) => m.constructor as new () => typeof m),
});
