import jwt from 'jsonwebtoken';
import { createCustomer, createTestDatabase, dsnFor, postGraphql, startTestServer, TEST_JWT_SECRET, TestServer, tokens } from './helpers/server';
import { TcpProxy } from './helpers/tcp-proxy';
import { loadConfig } from '../src/config/config';
import { CLOCK_TOLERANCE_SECONDS } from '../src/auth/jwt';
import { PostgresDatabase } from '../src/db/postgres';
import { runMigrations } from '../src/db/migrate';
import { createApp } from '../src/app';
import { createLogger } from '../src/observability/logger';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('authentication errors', () => {
  const ME = '{ me { id } }';

  it('answers 401 UNAUTHENTICATED for a malformed, forged, expired, unsigned or never-expiring token', async () => {
    const c = await createCustomer(server);
    const forged = jwt.sign({ sub: c.id, role: 'CUSTOMER' }, 'another-secret-another-secret-another-secret');
    const expired = jwt.sign({ sub: c.id, role: 'CUSTOMER', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET);
    const unsigned = jwt.sign({ sub: c.id, role: 'ADMIN' }, '', { algorithm: 'none' });
    const badRole = jwt.sign({ sub: c.id, role: 'ROOT' }, TEST_JWT_SECRET);
    const withUnknownSession = jwt.sign({ sub: c.id, role: 'CUSTOMER', sid: 'nope' }, TEST_JWT_SECRET, { expiresIn: '1h' });
    const neverExpires = jwt.sign({ sub: c.id, role: 'CUSTOMER' }, TEST_JWT_SECRET);
    for (const token of ['garbage', forged, expired, unsigned, badRole, withUnknownSession, neverExpires]) {
      const res = await server.gql(ME, {}, token);
      expect(res.status).toBe(401);
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('verified tokens', () => {
  it('stop working when they expire, even after being accepted (and remembered) before', async () => {
    const c = await createCustomer(server);
    const exp = Math.floor(Date.now() / 1000) + 1;
    const shortLived = jwt.sign({ sub: c.id, role: 'CUSTOMER', exp }, TEST_JWT_SECRET);
    expect((await server.gql('{ me { id } }', {}, shortLived)).data).toEqual({ me: { id: c.id } });
    // Expired once past exp plus the small clock tolerance.
    await new Promise((r) => setTimeout(r, (exp + CLOCK_TOLERANCE_SECONDS) * 1000 - Date.now() + 100));
    const later = await server.gql('{ me { id } }', {}, shortLived);
    expect(later.status).toBe(401);
    expect(later.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('client mistakes never answer INTERNAL_SERVER_ERROR', () => {
  it('parse and validation errors answer 400 with their codes', async () => {
    const parse = await server.gql('{ me { id ');
    expect(parse.status).toBe(400);
    expect(parse.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknownField = await server.gql('{ me { password } }');
    expect(unknownField.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badVariable = await server.gql('query($id: ID!) { customer(id: $id) { id } }', { id: { nested: true } }, tokens.admin());
    expect(badVariable.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const badDate = await server.gql(
      'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }',
      { i: { email: 'x@example.com', dateOfBirth: 'yesterday' } },
      tokens.admin(),
    );
    expect(badDate.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses operations nested deeper than the limit', async () => {
    const deep = `{ me { ${'preferences { consentLog { channel } } '.repeat(1)} group { code } } }`;
    expect((await server.gql(deep, {}, tokens.admin())).errors).toBeUndefined();
    const fragments = `query { me { ...A } } fragment A on Customer { group { id } preferences { consentLog { channel } } }`;
    expect((await server.gql(fragments)).errors).toBeUndefined();
    const tooDeep = `{ customers { edges { node { preferences { consentLog { channel } } } } } }`;
    const limited = await startTestServer({ CUSTOMER_MAX_QUERY_DEPTH: '4' });
    try {
      const res = await limited.gql(tooDeep, {}, tokens.admin());
      expect(res.status).toBe(400);
      expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0].message).toBe('Query depth limit of 4 exceeded, found 6.');
    } finally {
      await limited.close();
    }
  });

  it('answers over-long values as BAD_USER_INPUT without leaking SQL', async () => {
    const res = await server.gql(
      'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }',
      { i: { email: `${'a'.repeat(250)}@example.com` } },
      tokens.admin(),
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res)).not.toMatch(/INSERT|customers|stack/i);
  });
});

describe('database outage', () => {
  it('answers SERVICE_UNAVAILABLE (503) while the database is unreachable and recovers by itself', async () => {
    const database = await createTestDatabase();
    const proxy = new TcpProxy(Number(new URL(database.dsn).port || 5432));
    const port = await proxy.start();
    const dsn = dsnFor(database.name, `postgres://postgres@127.0.0.1:${port}/x`);
    const config = loadConfig({ CUSTOMER_DATABASE_DSN: dsn, CUSTOMER_JWT_SECRET: TEST_JWT_SECRET, CUSTOMER_LOG_LEVEL: 'silent' });
    const db = await PostgresDatabase.connect(dsn, 4);
    await runMigrations(db);
    const app = await createApp(config, db, createLogger('silent'));
    const base = `http://127.0.0.1:${await app.listen(0)}`;
    const query = '{ customerGroups { code } }';
    try {
      expect((await postGraphql(`${base}/graphql`, query, {}, tokens.admin())).data).toBeTruthy();

      await proxy.cut();
      const down = await postGraphql(`${base}/graphql`, query, {}, tokens.admin());
      expect(down.status).toBe(503);
      expect(down.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect((await fetch(`${base}/health/ready`)).status).toBe(503);
      expect((await fetch(`${base}/api/v1/customers/health`)).status).toBe(200);

      await proxy.start(port);
      // recovery needs no restart; allow the pool a moment to dial again
      let up = await postGraphql(`${base}/graphql`, query, {}, tokens.admin());
      for (let i = 0; i < 50 && up.errors; i++) {
        await new Promise((r) => setTimeout(r, 100));
        up = await postGraphql(`${base}/graphql`, query, {}, tokens.admin());
      }
      expect(up.errors).toBeUndefined();
      expect(up.data!.customerGroups).toHaveLength(2);
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    } finally {
      await app.close();
      await db.close();
      await proxy.cut();
      await database.drop();
    }
  });
});
