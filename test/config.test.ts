import { ConfigError, loadConfig } from '../src/config/config';

const DSN = 'postgres://postgres@127.0.0.1:5432/customer';
const SECRET = 'x'.repeat(32);

describe('configuration', () => {
  it('defaults to the embedded database on port 8003 with a development secret', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ httpPort: 8003, databaseDsn: null, bcryptCost: 12, jwtSecretIsDefault: true, tracingEnabled: false });
    expect(c.dataDir).toMatch(/\.data\/pglite$/);
    expect(c.dbTimeouts).toEqual({ statementMs: 120000, idleInTransactionMs: 60000 });
    expect(c.subscriptionCallbackUrls).toEqual([]);
    const routers = loadConfig({ CUSTOMER_SUBSCRIPTION_CALLBACK_URLS: 'http://router-a:4000/callback, https://router-b/cb' }).subscriptionCallbackUrls;
    expect(routers.map(String)).toEqual(['http://router-a:4000/callback', 'https://router-b/cb']);
  });

  it.each([
    [{ CUSTOMER_HTTP_PORT: 'eighty' }, 'CUSTOMER_HTTP_PORT'],
    [{ CUSTOMER_HTTP_PORT: '70000' }, 'CUSTOMER_HTTP_PORT'],
    [{ CUSTOMER_BCRYPT_COST: '3' }, 'CUSTOMER_BCRYPT_COST'],
    [{ CUSTOMER_ENABLE_2FA: 'maybe' }, 'CUSTOMER_ENABLE_2FA'],
    [{ CUSTOMER_LOG_LEVEL: 'loud' }, 'CUSTOMER_LOG_LEVEL'],
    [{ CUSTOMER_DATABASE_DSN: 'mysql://x' }, 'CUSTOMER_DATABASE_DSN'],
    [{ CUSTOMER_DATABASE_DSN: DSN }, 'CUSTOMER_JWT_SECRET'],
    [{ CUSTOMER_JWT_SECRET: 'short' }, 'CUSTOMER_JWT_SECRET'],
    // Production never runs on a default secret, embedded database or not.
    [{ NODE_ENV: 'production' }, 'CUSTOMER_JWT_SECRET'],
    [{ NODE_ENV: 'production', CUSTOMER_JWT_SECRET: 'x'.repeat(31) }, 'CUSTOMER_JWT_SECRET'],
    [{ NODE_ENV: 'production', CUSTOMER_JWT_SECRET: SECRET }, 'CUSTOMER_2FA_ENCRYPTION_KEY'],
    [{ CUSTOMER_2FA_ENCRYPTION_KEY: 'abcd' }, 'CUSTOMER_2FA_ENCRYPTION_KEY'],
    [{ CUSTOMER_LOGIN_MAX_FAILURES: '0' }, 'CUSTOMER_LOGIN_MAX_FAILURES'],
    [{ CUSTOMER_AUTH_RATE_LIMIT: 'many' }, 'CUSTOMER_AUTH_RATE_LIMIT'],
    [{ CUSTOMER_DB_STATEMENT_TIMEOUT_MS: '-1' }, 'CUSTOMER_DB_STATEMENT_TIMEOUT_MS'],
    [{ CUSTOMER_SUBSCRIPTION_CALLBACK_URLS: 'http://router:4000/callback, router:4000' }, 'CUSTOMER_SUBSCRIPTION_CALLBACK_URLS'],
    // Origins only: a path or a wildcard would not be what a browser sends as Origin.
    [{ CUSTOMER_CORS_ORIGINS: 'http://localhost:5173/admin' }, 'CUSTOMER_CORS_ORIGINS'],
    [{ CUSTOMER_CORS_ORIGINS: '*' }, 'CUSTOMER_CORS_ORIGINS'],
    [{ CUSTOMER_ADMIN_FEED_ENABLED: 'sometimes' }, 'CUSTOMER_ADMIN_FEED_ENABLED'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('has no CORS origins by default, and the admin feed page outside production only unless enabled', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CUSTOMER_CORS_ORIGINS: 'http://localhost:5173, https://admin.example.com/' }).corsOrigins).toEqual([
      'http://localhost:5173',
      'https://admin.example.com',
    ]);
    const production = { NODE_ENV: 'production', CUSTOMER_JWT_SECRET: SECRET, CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(loadConfig({}).adminFeedEnabled).toBe(true);
    expect(loadConfig({ CUSTOMER_ADMIN_FEED_ENABLED: 'false' }).adminFeedEnabled).toBe(false);
    expect(loadConfig(production).adminFeedEnabled).toBe(false);
    expect(loadConfig({ ...production, CUSTOMER_ADMIN_FEED_ENABLED: 'true' }).adminFeedEnabled).toBe(true);
  });

  it('accepts a complete production configuration', () => {
    const c = loadConfig({ CUSTOMER_DATABASE_DSN: DSN, CUSTOMER_JWT_SECRET: SECRET, CUSTOMER_ENABLE_SEGMENTS: 'false', CUSTOMER_LOG_LEVEL: 'WARN' });
    expect(c).toMatchObject({ databaseDsn: DSN, jwtSecret: SECRET, enableSegments: false, logLevel: 'warn', jwtSecretIsDefault: false });
  });

  it('has the account defaults of the issue: 5 failures in 15 minutes, 24 h sessions, two-factor key from hex or base64', () => {
    expect(loadConfig({}).auth).toMatchObject({
      maxFailedLogins: 5,
      failureWindowSeconds: 900,
      lockoutSeconds: 900,
      sessionTtlSeconds: 86400,
      ipLimit: 30,
      twoFactorMaxAttempts: 5,
      twoFactorKey: null,
    });
    const hex = 'ab'.repeat(32);
    const prod = loadConfig({ NODE_ENV: 'production', CUSTOMER_JWT_SECRET: SECRET, CUSTOMER_2FA_ENCRYPTION_KEY: hex });
    expect(prod.production).toBe(true);
    expect(prod.auth.twoFactorKey).toEqual(Buffer.from(hex, 'hex'));
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ CUSTOMER_2FA_ENCRYPTION_KEY: b64 }).auth.twoFactorKey).toEqual(Buffer.alloc(32, 7));
  });
});
