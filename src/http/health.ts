import { Router } from 'express';
import type { Database } from '../db/database';
import type { EventBus } from '../events/pubsub';

/**
 * Liveness (kept at the original service's path) and readiness. The database is required:
 * without it, 503. Redis is reported but not required: with Redis down, queries and mutations
 * keep working and events wait in the outbox, so the instance stays in rotation ("degraded").
 */
export function healthRoutes(db: Database, bus: EventBus): Router {
  const router = Router();
  router.get('/api/v1/customers/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const [database, redis] = await Promise.all([
      db.ping().then(
        () => 'up',
        () => 'down',
      ),
      bus.redis ? bus.redisReady().then((up) => (up ? 'up' : 'down')) : Promise.resolve('not configured'),
    ]);
    const status = database === 'down' ? 'unavailable' : redis === 'down' ? 'degraded' : 'ready';
    res.status(database === 'down' ? 503 : 200).json({ status, database, redis });
  });
  return router;
}
