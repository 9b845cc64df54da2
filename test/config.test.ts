import { ConfigError, loadConfig } from '../src/config/config';

const DSN = 'postgres://postgres@127.0.0.1:5432/customer';
const SECRET = 'x'.repeat(32);

describe('configuration', () => {
  it('defaults to the embedded database on port 8003 with a development secret', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ httpPort: 8003, databaseDsn: null, bcryptCost: 12, jwtSecretIsDefault: true, tracingEnabled: false });
    expect(c.dataDir).toMatch(/\.data\/pglite$/);
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
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('accepts a complete production configuration', () => {
    const c = loadConfig({ CUSTOMER_DATABASE_DSN: DSN, CUSTOMER_JWT_SECRET: SECRET, CUSTOMER_ENABLE_SEGMENTS: 'false', CUSTOMER_LOG_LEVEL: 'WARN' });
    expect(c).toMatchObject({ databaseDsn: DSN, jwtSecret: SECRET, enableSegments: false, logLevel: 'warn', jwtSecretIsDefault: false });
  });
});
