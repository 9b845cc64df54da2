import type { Config } from '../config/config';
import type { Logger } from '../observability/logger';
import type { Database } from './database';
import { EmbeddedDatabase } from './embedded';
import { runMigrations } from './migrate';
import { PostgresDatabase } from './postgres';

/**
 * PostgreSQL when CUSTOMER_DATABASE_DSN is set, embedded PGlite otherwise; migrations are
 * applied before anything else touches it. A database still starting up is waited for
 * (up to 30 s) rather than failing the whole start.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let db: Database | null = null;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      db ??= config.databaseDsn
        ? await PostgresDatabase.connect(config.databaseDsn, config.dbPoolSize, config.dbTimeouts)
        : await EmbeddedDatabase.open(config.dataDir);
      const applied = await runMigrations(db);
      if (applied.length) logger.info({ applied }, 'migrations applied');
      logger.info({ database: db.kind === 'embedded' ? `embedded PGlite at ${config.dataDir}` : 'postgres' }, 'database ready');
      return db;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SERVICE_UNAVAILABLE' || Date.now() > deadline) {
        await db?.close().catch(() => undefined);
        throw err;
      }
      logger.warn('database unavailable, retrying in 2 s');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
