import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import express from 'express';
import { WebSocketServer } from 'ws';
import { GraphQLError } from 'graphql';
import { Authenticator } from './auth/authenticator';
import { TokenIssuer, TokenVerifier } from './auth/jwt';
import { IpRateLimiter } from './auth/rate-limit';
import { SessionStore } from './auth/sessions';
import type { Config } from './config/config';
import type { Context } from './context/context';
import { createLoaders } from './context/loaders';
import { IdLookups } from './db/id-lookups';
import { compileTrust, requestMeta } from './context/request-meta';
import type { Database } from './db/database';
import { Transactor } from './application/unit-of-work';
import { EventPublisher } from './events/publisher';
import { STREAM } from './events/topics';
import { createEventBus, EventBus } from './events/pubsub';
import { OutboxRelay } from './events/relay';
import { AuditRetention } from './modules/audit/audit.retention';
import { SegmentSchedule } from './modules/segment/segment.schedule';
import { OrderEventsConsumer } from './modules/statistics/order-events.consumer';
import { DomainError } from './errors/domain-error';
import { createFormatError } from './errors/format-error';
import { graphqlHandler, MAX_BODY_BYTES } from './http/graphql-handler';
import { subscriptionCallbacks } from './http/subscription-callbacks';
import { startGraphqlWs } from './http/graphql-ws';
import { healthRoutes } from './http/health';
import { adminFeedRoutes } from './http/admin-feed';
import { cors } from './http/cors';
import { queryProtection, wsDocumentChecks } from './http/query-limits';
import { securityHeaders } from './http/security-headers';
import type { Logger } from './observability/logger';
import { startTracing, untraced } from './observability/tracing';
import { Metrics, metricsRoute } from './observability/metrics';
import { operationObserver, SubscriptionObserver } from './observability/operations';
import { cacheHints } from './http/cache-hints';
import { buildCustomerSchema } from './schema';
import { createServices } from './services';
import { Deferred } from './common/deferred';

export interface App {
  httpServer: http.Server;
  relay: OutboxRelay;
  bus: EventBus;
  segmentSchedule: SegmentSchedule;
  /** Feeds customer statistics from the order service's stream; null without Redis (there is no stream then). */
  orderEvents: OrderEventsConsumer | null;
  /** Listens and resolves with the bound port (pass 0 for any free port). */
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

/** When every error of a response is SERVICE_UNAVAILABLE, say so in the HTTP status too. */
const unavailableStatus: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, errors }) {
        if (errors?.length && errors.every((e) => (e.originalError as DomainError | undefined)?.code === 'SERVICE_UNAVAILABLE')) {
          response.http.status = 503;
        }
      },
    };
  },
};

/** Builds the whole service from its parts, so tests can start one in-process. */
export async function createApp(config: Config, db: Database, logger: Logger): Promise<App> {
  const { schema } = buildCustomerSchema();
  // CUSTOMER_TRACING_ENABLED=false (default): a no-op handle; nothing of OpenTelemetry is loaded.
  const tracing = startTracing(config, logger);
  const bus = createEventBus(config, logger);
  const relay = new OutboxRelay(
    db,
    new EventPublisher(bus.pubsub, bus.redis, config.outbox.streamMaxLen, `${config.eventsNamespace}${STREAM}`),
    config.outbox,
    logger,
    config.databaseDsn,
  );
  const sessions = new SessionStore(db);
  const lookups = new IdLookups(db);
  // One Transactor for every unit of work: it wakes the relay after commit and re-scores segments before it.
  // untraced: a relay round woken by a request's commit is not part of that request's trace.
  const work = new Transactor(db, { id: relay.id, wake: untraced(() => relay.wake()) });
  // CUSTOMER_METRICS_ENABLED=false: no registry, no counting, no /metrics route.
  const metrics = config.metricsEnabled ? new Metrics(db, logger) : null;
  if (metrics) work.onCommit((committed) => metrics.observeCommit(committed));
  const deferred = new Deferred(logger);
  const services = createServices(db, work, config, {
    sessions,
    issuer: new TokenIssuer(config.jwtSecret),
    limiter: new IpRateLimiter(bus.redis, config.auth.ipLimit, config.auth.ipWindowSeconds, `${config.eventsNamespace}customer:auth-ip`),
    // The same allowance per customer for what a signed-in caller can make us hash.
    accountLimiter: new IpRateLimiter(
      bus.redis,
      config.auth.ipLimit,
      config.auth.ipWindowSeconds,
      `${config.eventsNamespace}customer:auth-account`,
      'this account',
    ),
    deferred,
  });
  const retention = new AuditRetention(db, { retentionDays: config.auditRetentionDays, intervalMs: 3_600_000 }, logger);
  const segmentSchedule = new SegmentSchedule(services.segments, config.segments.refreshIntervalSeconds, logger);
  const orderEvents = bus.redis ? new OrderEventsConsumer({ config, control: bus.redis, work, services, logger }) : null;
  const tokens = new Authenticator(new TokenVerifier(config.jwtSecret), sessions);
  const trust = compileTrust(config.trustedProxies);
  const app = express();
  app.disable('x-powered-by');

  const context = async (req: http.IncomingMessage): Promise<Context> => {
    try {
      return {
        viewer: await tokens.viewerFor(req.headers.authorization),
        services,
        loaders: createLoaders(db, lookups),
        meta: requestMeta(req, trust),
        pubsub: bus.pubsub,
      };
    } catch (err) {
      if (err instanceof DomainError) {
        throw new GraphQLError(err.message, { originalError: err, extensions: { code: err.code, http: { status: 401 } } });
      }
      throw err;
    }
  };
  const httpServer = http.createServer();
  const protection = queryProtection(config);

  const formatError = createFormatError(logger);
  const apollo = new ApolloServer<Context>({
    schema,
    // Apollo's own warnings (a failing plugin hook, ...) through the service's logger, not console.
    logger,
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown (relay, pools, deadline); Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
    // Depth, aliases, cost, directives, tokens, top-level fields: src/http/query-limits.ts.
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    // One operation per request, so the per-operation limits are per request too.
    allowBatchedHttpRequests: false,
    introspection: !config.production,
    plugins: [
      ...protection.plugins,
      // Without introspection the landing page has nothing to show.
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Inline (ftv1) traces are for Apollo Studio, which we do not use. The cache-control
      // plugin wraps every field resolver; cacheHints below decides per operation instead.
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      // Apollo Router's HTTP callback protocol for subscriptions, beside graphql-ws: only to
      // the routers' callback URLs (CUSTOMER_SUBSCRIPTION_CALLBACK_URLS), off without them.
      subscriptionCallbacks(config.subscriptionCallbackUrls),
      unavailableStatus,
      // Cache-Control for the router's caches; then one log line and the metrics per operation.
      cacheHints(config.cacheMaxAgeSeconds),
      operationObserver(config.logOperations ? logger : null, metrics),
      // Tracing on: names the request's span after its operation and records its errors.
      ...tracing.plugins,
    ],
  });
  await apollo.start();
  // Tracing on: one span per request around it, parented by the caller's traceparent.
  const security = securityHeaders(config.production);
  // CUSTOMER_CORS_ORIGINS: browser clients of other origins (none by default).
  const corsPolicy = cors(config.corsOrigins);
  const handleGraphql = tracing.traceRequests(graphqlHandler(apollo, context, security.flat, corsPolicy.headersFor));

  // /graphql is served by a plain handler (the hot path); everything else by Express.
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
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

  // graphql-ws on the same path: the JWT comes in connectionParams.authorization. Messages
  // are capped like HTTP bodies (ws allows 100 MiB by default), and operations sent this way
  // pass the same limits.
  const ws = startGraphqlWs({
    schema,
    wsServer: new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: MAX_BODY_BYTES }),
    tokens,
    contextFor: (viewer, request) => ({ viewer, services, loaders: createLoaders(db, lookups), meta: requestMeta(request, trust), pubsub: bus.pubsub }),
    checks: wsDocumentChecks(config, protection),
    formatError,
    tracing,
    observer: new SubscriptionObserver(config.logOperations ? logger : null),
    logger,
  });

  app.use(healthRoutes(db, bus));
  if (metrics) app.get('/metrics', metricsRoute(metrics));
  // The live admin feed page (off in production unless CUSTOMER_ADMIN_FEED_ENABLED=true).
  if (config.adminFeedEnabled) app.use(adminFeedRoutes());
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // Lockout rows of emails nobody has tried for a day (unknown ones included) are dropped.
  const lockoutPruning = setInterval(() => {
    services.accounts.pruneLockouts().catch((err: unknown) => logger.warn({ err }, 'pruning login lockouts failed'));
  }, 3_600_000).unref();
  relay.start();
  orderEvents?.start();
  retention.start();
  // CUSTOMER_ENABLE_SEGMENTS=false: no scheduled refresh (and no incremental re-scoring).
  if (config.enableSegments) segmentSchedule.start();

  return {
    httpServer,
    relay,
    bus,
    segmentSchedule,
    orderEvents,
    listen: (port) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => {
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: async () => {
      await ws.dispose();
      await apollo.stop();
      await retention.stop();
      clearInterval(lockoutPruning);
      await deferred.drain();
      await segmentSchedule.stop();
      await orderEvents?.stop();
      await relay.stop();
      await bus.close();
      // Last: exports the spans of the final requests.
      await tracing.shutdown();
    },
  };
}
