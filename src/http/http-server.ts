import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import express from 'express';
import type { Config } from '../config/config';
import type { Context } from '../context/context';
import type { Database } from '../db/database';
import type { EventBus } from '../events/pubsub';
import type { Logger } from '../observability/logger';
import { Metrics, metricsRoute } from '../observability/metrics';
import type { Tracing } from '../observability/tracing';
import { adminFeedRoutes } from './admin-feed';
import { cors } from './cors';
import { graphqlHandler } from './graphql-handler';
import { healthRoutes } from './health';
import { securityHeaders } from './security-headers';

/**
 * The HTTP routes on `httpServer`: /graphql by a plain handler (the hot path), everything
 * else (health, metrics, the admin feed page, 404) by Express.
 */
export function serveHttp(deps: {
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  context: (req: http.IncomingMessage) => Promise<Context>;
  config: Config;
  db: Database;
  bus: EventBus;
  metrics: Metrics | null;
  tracing: Tracing;
  logger: Logger;
}): void {
  const { config, logger } = deps;
  const security = securityHeaders(config.production);
  // CUSTOMER_CORS_ORIGINS: browser clients of other origins (none by default).
  const corsPolicy = cors(config.corsOrigins);
  // Tracing on: one span per request around it, parented by the caller's traceparent.
  const handleGraphql = deps.tracing.traceRequests(graphqlHandler(deps.apollo, deps.context, security.flat, corsPolicy.headersFor));

  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps.db, deps.bus));
  if (deps.metrics) app.get('/metrics', metricsRoute(deps.metrics));
  // The live admin feed page (off in production unless CUSTOMER_ADMIN_FEED_ENABLED=true).
  if (config.adminFeedEnabled) app.use(adminFeedRoutes());
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  deps.httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '';
    if (url === '/graphql' || url.startsWith('/graphql?')) {
      if (corsPolicy.preflight(req, res)) return;
      handleGraphql(req, res).catch((err: unknown) => {
        logger.error({ err }, 'graphql handler failed');
        if (!res.headersSent) res.writeHead(500, [...security.flat, 'cache-control', 'no-store', 'content-type', 'application/json']);
        res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      });
    } else {
      security.apply(res);
      app(req, res);
    }
  });
}
