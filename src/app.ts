import http from 'node:http';
import { WebSocketServer } from 'ws';
import { Authenticator } from './auth/authenticator';
import { TokenIssuer, TokenVerifier } from './auth/jwt';
import { PasswordGate, passwordGateConcurrency } from './auth/password-gate';
import { IpRateLimiter } from './auth/rate-limit';
import { SessionStore } from './auth/sessions';
import type { Config } from './config/config';
import { contextFactory } from './context/context-factory';
import { IdLookups } from './db/id-lookups';
import type { Database } from './db/database';
import { Transactor } from './application/unit-of-work';
import { EventPublisher } from './events/publisher';
import { STREAM } from './events/topics';
import { createEventBus, EventBus } from './events/pubsub';
import { OutboxRelay } from './events/relay';
import { AuditRetention } from './modules/audit/audit.retention';
import { SegmentSchedule } from './modules/segment/segment.schedule';
import { OrderEventsConsumer } from './modules/statistics/order-events.consumer';
import { createFormatError } from './errors/format-error';
import { startApolloServer } from './http/apollo-server';
import { MAX_BODY_BYTES } from './http/graphql-handler';
import { startGraphqlWs } from './http/graphql-ws';
import { serveHttp } from './http/http-server';
import { queryProtection, withoutSuggestion, wsDocumentChecks } from './http/query-limits';
import type { Logger } from './observability/logger';
import { startTracing, untraced } from './observability/tracing';
import { Metrics } from './observability/metrics';
import { SubscriptionObserver } from './observability/operations';
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
      (customerId) => customerId,
    ),
    // Beyond 8 waiting per slot, or 8 per customer, a check would wait longer than a client
    // does (bcrypt at cost 12 takes about 0.25 s, a change two of those): refused instead.
    passwordGate: new PasswordGate({
      concurrency: passwordGateConcurrency(),
      maxWaiting: 8 * passwordGateConcurrency(),
      maxPerCustomer: 8,
      refusalPauseMs: 1000,
      maxPaused: 10_000,
    }),
    deferred,
  });
  const retention = new AuditRetention(db, { retentionDays: config.auditRetentionDays, intervalMs: 3_600_000 }, logger);
  const segmentSchedule = new SegmentSchedule(services.segments, config.segments.refreshIntervalSeconds, logger);
  const orderEvents = bus.redis ? new OrderEventsConsumer({ config, control: bus.redis, work, services, logger }) : null;
  const tokens = new Authenticator(new TokenVerifier(config.jwtSecret), sessions);
  const contexts = contextFactory({
    tokens,
    services,
    db,
    lookups,
    pubsub: bus.pubsub,
    trustedProxies: config.trustedProxies,
    maxRepresentations: config.limits.maxRepresentations,
  });

  const httpServer = http.createServer();
  const protection = queryProtection(config);
  const formatError = createFormatError(logger);
  const apollo = await startApolloServer({ schema, config, logger, httpServer, protection, formatError, metrics, tracing });
  serveHttp({ httpServer, apollo, context: contexts.forHttp, config, db, bus, metrics, tracing, logger });
  // graphql-ws on the same path: the JWT comes in connectionParams.authorization. Messages
  // are capped like HTTP bodies (ws allows 100 MiB by default), and operations sent this way
  // pass the same limits.
  const ws = startGraphqlWs({
    schema,
    wsServer: new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: MAX_BODY_BYTES }),
    tokens,
    contextFor: contexts.forSocket,
    checks: wsDocumentChecks(config, protection),
    // Errors of execution (a variable's enum value) get no suggestion in production either.
    formatError: config.production
      ? (formatted, error) => {
          // As hideSuggestions does for HTTP: before the mapping, which quotes the message.
          if (error instanceof Error) error.message = withoutSuggestion(error.message);
          return formatError({ ...formatted, message: withoutSuggestion(formatted.message) }, error);
        }
      : formatError,
    tracing,
    observer: new SubscriptionObserver(config.logOperations ? logger : null),
    logger,
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
