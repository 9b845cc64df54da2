import path from 'node:path';

/**
 * One typed configuration object read from the environment (names from the original
 * service, DESIGN.md "Configuration"). A bad value stops start-up with a ConfigError
 * naming the variable; main.ts prints that one line and exits.
 */
export interface Config {
  httpPort: number;
  /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
  databaseDsn: string | null;
  dataDir: string;
  dbPoolSize: number;
  /** Bounds on how long the database may keep a request waiting (PostgreSQL only). */
  dbTimeouts: DatabaseTimeouts;
  redisAddr: string | null;
  redisPassword: string | null;
  jwtSecret: string;
  jwtSecretIsDefault: boolean;
  bcryptCost: number;
  enableSegments: boolean;
  enable2fa: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  metricsEnabled: boolean;
  /** Operations over HTTP compiled by graphql-jit (true) or interpreted by graphql-js (src/http/jit-executor.ts). */
  jitEnabled: boolean;
  /** One log line per GraphQL operation (an access log); off leaves startup, warnings and errors. */
  logOperations: boolean;
  tracingEnabled: boolean;
  /** Where spans go when tracingEnabled (OTLP over HTTP, JSON). */
  tracing: TracingConfig;
  /** max-age (seconds) of the Cache-Control hint on query responses; 0: every response is no-store. */
  cacheMaxAgeSeconds: number;
  /** Express "trust proxy" value: which hops may set X-Forwarded-For. */
  trustedProxies: string;
  /** NODE_ENV=production: no default secrets, no introspection or field suggestions. */
  production: boolean;
  /** Hard limits on abusive queries, checked before any resolver runs. */
  maxQueryDepth: number;
  limits: QueryLimits;
  auth: AuthConfig;
  segments: SegmentConfig;
  orders: OrderEventsConfig;
  shutdownTimeoutMs: number;
  /** Audit events older than this many days are deleted by the retention job. */
  auditRetentionDays: number;
  outbox: OutboxConfig;
  /** Prefix of the Redis stream and pub/sub topics ('' = the stream is `customer.events`). */
  eventsNamespace: string;
  /** Callback URLs of the routers that may use the HTTP callback protocol; empty: the protocol is off. */
  subscriptionCallbackUrls: URL[];
  /** Browser origins (`https://admin.example.com`) that may call /graphql cross-origin; empty: none. */
  corsOrigins: string[];
  /** The live admin feed page at /admin/feed; off in production unless enabled. */
  adminFeedEnabled: boolean;
}

/**
 * Session settings of every pooled PostgreSQL connection; 0 switches one off. Work that may
 * legitimately run longer (migrations, segment refreshes) lifts the statement bound inside
 * its own transaction (db/timeouts.ts).
 */
export interface DatabaseTimeouts {
  /** A statement (a lock wait included) is cancelled after this long: SERVICE_UNAVAILABLE, not a hung request. */
  statementMs: number;
  /** A session idle inside an open transaction this long is ended, releasing its locks. */
  idleInTransactionMs: number;
}

/** The outbox relay: batching, retries with exponential backoff, dead letters, pruning. */
export interface OutboxConfig {
  batchSize: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Fallback poll; commits wake the relay at once (in-process call and LISTEN/NOTIFY). */
  pollIntervalMs: number;
  /** SENT rows are deleted after this long. */
  retentionHours: number;
  /** Approximate cap of the Redis stream (XADD MAXLEN ~). */
  streamMaxLen: number;
}

export interface QueryLimits {
  /** Aliases per operation. */
  maxAliases: number;
  /** Estimated cost per operation (graphql-armor's cost model). */
  maxCost: number;
  /** Top-level fields per operation. */
  maxRootFields: number;
  /** Lexical tokens per document (stops huge documents before they are parsed further). */
  maxTokens: number;
  /** `_entities` representations per operation, all its `_entities` fields together. */
  maxRepresentations: number;
}

/** Accounts: sessions, lockout, per-IP limits, two-factor. */
export interface AuthConfig {
  /** Lifetime of a login session and of the token bound to it. */
  sessionTtlSeconds: number;
  /** Failed logins within failureWindowSeconds that lock the account. */
  maxFailedLogins: number;
  failureWindowSeconds: number;
  /** First lockout; each repeated lockout doubles it, up to lockoutMaxSeconds. */
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
  /** Attempts at login, registration and token use per client IP per window. */
  ipLimit: number;
  ipWindowSeconds: number;
  twoFactorIssuer: string;
  /** AES-256-GCM key for TOTP secrets at rest; null: derived from the JWT secret (development). */
  twoFactorKey: Buffer | null;
  /** Wrong codes before verification locks, and for how long. */
  twoFactorMaxAttempts: number;
  twoFactorLockSeconds: number;
}

/** OpenTelemetry tracing (CUSTOMER_TRACING_ENABLED switches it on). */
export interface TracingConfig {
  /** The full OTLP/HTTP traces URL (`.../v1/traces`). */
  endpoint: string;
  /** Resource `service.name` of every span. */
  serviceName: string;
}

/** The segmentation engine's automatic work (enableSegments switches it off). */
export interface SegmentConfig {
  /** Every active segment is recomputed this often, by one replica at a time. */
  refreshIntervalSeconds: number;
}

/** Order events from the order service, which feed customer statistics. */
export interface OrderEventsConfig {
  /** The stream read with a consumer group (`order.events`; CUSTOMER_EVENTS_NAMESPACE prefixes it). */
  stream: string;
  consumerGroup: string;
  /** Where malformed events go, with the reason. */
  deadLetterStream: string;
  /** ISO 4217 code of the shop currency: statistics are kept in it, other currencies are refused. */
  shopCurrency: string;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Only for trying the service out: with no DSN and no secret we are on a developer's machine. */
const DEV_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me-000000';

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${v}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const v = str(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

function currency(env: Env, name: string, fallback: string): string {
  const v = str(env, name)?.toUpperCase() ?? fallback;
  if (!/^[A-Z]{3}$/.test(v)) throw new ConfigError(name, `must be an ISO 4217 code such as EUR, got "${v}"`);
  return v;
}

/** 32 bytes, as 64 hex digits or base64; required in production (secrets must survive a JWT key rotation). */
function twoFactorKey(env: Env, production: boolean): Buffer | null {
  const name = 'CUSTOMER_2FA_ENCRYPTION_KEY';
  const v = str(env, name);
  if (v === null) {
    if (production) throw new ConfigError(name, 'is required when NODE_ENV=production (32 bytes, hex or base64)');
    return null;
  }
  const key = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== 32) throw new ConfigError(name, 'must be 32 bytes, as 64 hex digits or base64');
  return key;
}

function httpUrl(name: string, v: string): URL {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(name, `must be an http:// or https:// URL, got "${v}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http:// or https:// URL, got "${v}"`);
  return url;
}

/** `https://admin.example.com` (scheme, host, port; no path): what a browser sends as `Origin`. */
function origins(env: Env, name: string): string[] {
  const values = (str(env, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return values.map((v) => {
    const url = httpUrl(name, v);
    const bare = v.replace(/\/$/, '');
    if (url.origin !== bare) throw new ConfigError(name, `must list origins such as https://admin.example.com (scheme, host and port only), got "${v}"`);
    return url.origin;
  });
}

/** `<base>/v1/traces`, as the OTLP exporter specification builds it from a base URL. */
function withTracesPath(url: URL): string {
  const base = url.toString();
  return /\/v1\/traces\/?$/.test(url.pathname) ? base : `${base.replace(/\/$/, '')}/v1/traces`;
}

/**
 * The OTLP/HTTP traces URL: CUSTOMER_OTLP_ENDPOINT (a collector base URL), else the standard
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (taken as is) or OTEL_EXPORTER_OTLP_ENDPOINT (a base URL),
 * else a collector on localhost:4318. Other OTEL_EXPORTER_OTLP_* settings (headers, timeout,
 * compression) are read by the exporter itself.
 */
function otlpTracesEndpoint(env: Env): string {
  const own = str(env, 'CUSTOMER_OTLP_ENDPOINT');
  if (own !== null) return withTracesPath(httpUrl('CUSTOMER_OTLP_ENDPOINT', own));
  const traces = str(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== null) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces).toString();
  const general = str(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (general !== null) return withTracesPath(httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general));
  return 'http://localhost:4318/v1/traces';
}

export function loadConfig(env: Env = process.env): Config {
  const databaseDsn = str(env, 'CUSTOMER_DATABASE_DSN');
  if (databaseDsn !== null && !/^postgres(ql)?:\/\//.test(databaseDsn)) {
    throw new ConfigError('CUSTOMER_DATABASE_DSN', 'must be a postgres:// or postgresql:// URL');
  }
  const production = str(env, 'NODE_ENV') === 'production';
  let jwtSecret = str(env, 'CUSTOMER_JWT_SECRET');
  const jwtSecretIsDefault = jwtSecret === null;
  if (jwtSecret === null) {
    // Secure by default: production, or a real database, means a real deployment.
    if (production) throw new ConfigError('CUSTOMER_JWT_SECRET', 'is required when NODE_ENV=production');
    if (databaseDsn !== null) throw new ConfigError('CUSTOMER_JWT_SECRET', 'is required when CUSTOMER_DATABASE_DSN is set');
    jwtSecret = DEV_JWT_SECRET;
  } else if (Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('CUSTOMER_JWT_SECRET', 'must be at least 32 bytes long (HS256 key)');
  }
  return {
    httpPort: int(env, 'CUSTOMER_HTTP_PORT', 8003, 0, 65535),
    databaseDsn,
    dataDir: path.resolve(str(env, 'CUSTOMER_DATA_DIR') ?? '.data/pglite'),
    dbPoolSize: int(env, 'CUSTOMER_DB_POOL_SIZE', 10, 1, 200),
    dbTimeouts: {
      // Above a scheduled refresh of every segment over a large shop: customer writes wait for
      // it (they re-score under its locks), and must not time out while they do.
      statementMs: int(env, 'CUSTOMER_DB_STATEMENT_TIMEOUT_MS', 120000, 0, 86400000),
      idleInTransactionMs: int(env, 'CUSTOMER_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60000, 0, 86400000),
    },
    redisAddr: str(env, 'CUSTOMER_REDIS_ADDR'),
    redisPassword: str(env, 'CUSTOMER_REDIS_PASSWORD'),
    jwtSecret,
    jwtSecretIsDefault,
    bcryptCost: int(env, 'CUSTOMER_BCRYPT_COST', 12, 4, 15),
    enableSegments: bool(env, 'CUSTOMER_ENABLE_SEGMENTS', true),
    enable2fa: bool(env, 'CUSTOMER_ENABLE_2FA', true),
    logLevel: oneOf(env, 'CUSTOMER_LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    metricsEnabled: bool(env, 'CUSTOMER_METRICS_ENABLED', true),
    jitEnabled: bool(env, 'CUSTOMER_JIT_ENABLED', true),
    logOperations: bool(env, 'CUSTOMER_LOG_OPERATIONS', true),
    tracingEnabled: bool(env, 'CUSTOMER_TRACING_ENABLED', false),
    tracing: { endpoint: otlpTracesEndpoint(env), serviceName: str(env, 'OTEL_SERVICE_NAME') ?? 'customer-subgraph' },
    cacheMaxAgeSeconds: int(env, 'CUSTOMER_CACHE_MAX_AGE', 30, 0, 86400),
    trustedProxies: str(env, 'CUSTOMER_TRUSTED_PROXIES') ?? 'loopback',
    production,
    maxQueryDepth: int(env, 'CUSTOMER_MAX_QUERY_DEPTH', 12, 2, 50),
    limits: {
      maxAliases: int(env, 'CUSTOMER_MAX_ALIASES', 15, 0, 1000),
      maxCost: int(env, 'CUSTOMER_MAX_QUERY_COST', 5000, 10, 1000000),
      maxRootFields: int(env, 'CUSTOMER_MAX_ROOT_FIELDS', 20, 1, 1000),
      maxTokens: int(env, 'CUSTOMER_MAX_TOKENS', 2000, 100, 100000),
      maxRepresentations: int(env, 'CUSTOMER_MAX_REPRESENTATIONS', 2000, 1, 100000),
    },
    segments: {
      refreshIntervalSeconds: int(env, 'CUSTOMER_SEGMENT_REFRESH_SECONDS', 3600, 10, 604800),
    },
    orders: {
      stream: str(env, 'CUSTOMER_ORDER_EVENTS_STREAM') ?? 'order.events',
      consumerGroup: str(env, 'CUSTOMER_ORDER_EVENTS_GROUP') ?? 'customer-subgraph',
      deadLetterStream: str(env, 'CUSTOMER_ORDER_EVENTS_DEAD_LETTER') ?? 'order.events.dead-letter',
      shopCurrency: currency(env, 'CUSTOMER_SHOP_CURRENCY', 'USD'),
    },
    auth: {
      sessionTtlSeconds: int(env, 'CUSTOMER_SESSION_TTL_SECONDS', 86400, 60, 2592000),
      maxFailedLogins: int(env, 'CUSTOMER_LOGIN_MAX_FAILURES', 5, 1, 100),
      failureWindowSeconds: int(env, 'CUSTOMER_LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86400),
      lockoutSeconds: int(env, 'CUSTOMER_LOCKOUT_SECONDS', 900, 1, 86400),
      lockoutMaxSeconds: int(env, 'CUSTOMER_LOCKOUT_MAX_SECONDS', 86400, 1, 2592000),
      ipLimit: int(env, 'CUSTOMER_AUTH_RATE_LIMIT', 30, 1, 1000000),
      ipWindowSeconds: int(env, 'CUSTOMER_AUTH_RATE_WINDOW_SECONDS', 900, 1, 86400),
      twoFactorIssuer: str(env, 'CUSTOMER_2FA_ISSUER') ?? 'Customer',
      twoFactorKey: twoFactorKey(env, production),
      twoFactorMaxAttempts: int(env, 'CUSTOMER_2FA_MAX_ATTEMPTS', 5, 1, 100),
      twoFactorLockSeconds: int(env, 'CUSTOMER_2FA_LOCK_SECONDS', 900, 1, 86400),
    },
    shutdownTimeoutMs: int(env, 'CUSTOMER_SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    auditRetentionDays: int(env, 'CUSTOMER_AUDIT_RETENTION_DAYS', 2555, 1, 36500),
    eventsNamespace: str(env, 'CUSTOMER_EVENTS_NAMESPACE') ?? '',
    subscriptionCallbackUrls: (str(env, 'CUSTOMER_SUBSCRIPTION_CALLBACK_URLS') ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .map((v) => httpUrl('CUSTOMER_SUBSCRIPTION_CALLBACK_URLS', v)),
    corsOrigins: origins(env, 'CUSTOMER_CORS_ORIGINS'),
    adminFeedEnabled: bool(env, 'CUSTOMER_ADMIN_FEED_ENABLED', !production),
    outbox: {
      batchSize: int(env, 'CUSTOMER_OUTBOX_BATCH_SIZE', 200, 1, 10000),
      maxAttempts: int(env, 'CUSTOMER_OUTBOX_MAX_ATTEMPTS', 25, 1, 1000),
      backoffBaseMs: int(env, 'CUSTOMER_OUTBOX_BACKOFF_MS', 500, 1, 3600000),
      backoffMaxMs: int(env, 'CUSTOMER_OUTBOX_BACKOFF_MAX_MS', 60000, 1, 86400000),
      pollIntervalMs: int(env, 'CUSTOMER_OUTBOX_POLL_MS', 1000, 10, 3600000),
      retentionHours: int(env, 'CUSTOMER_OUTBOX_RETENTION_HOURS', 24, 0, 87600),
      streamMaxLen: int(env, 'CUSTOMER_STREAM_MAXLEN', 1000000, 1000, 1000000000),
    },
  };
}
