import { Router } from 'express';
import type { Database } from '../db/database';

/** Liveness (kept at the original service's path) and readiness (the database answers). */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/api/v1/customers/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    try {
      await db.ping();
      res.json({ status: 'ready', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });
  return router;
}
