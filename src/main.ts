import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config/config';
import { DataDirLockedError } from './db/lock-file';
import { openDatabase } from './db/open';
import { createLogger } from './observability/logger';

/** Bootstrap only: config -> database -> schema -> HTTP server; SIGTERM/SIGINT stop it cleanly. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.jwtSecretIsDefault) logger.warn('CUSTOMER_JWT_SECRET is not set: using the insecure development secret (embedded mode only)');
  const db = await openDatabase(config, logger);
  const app = await createApp(config, db, logger);
  const port = await app.listen(config.httpPort);
  logger.info({ port }, `customer subgraph listening on http://localhost:${port}/graphql`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Not unref'd: if closing hangs, this deadline (not an emptied event loop) ends the process.
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
