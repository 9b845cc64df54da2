import { fromIp, login, PASSWORD, register } from './helpers/accounts';
import { postGraphql, redisEnv, startReplica, startTestServer, TestServer, uniqueEmail, errorCode as code } from './helpers/server';

// The login lockout (stored in PostgreSQL) and the per-IP limit (Redis, or in-process).


describe('account lockout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('locks after 5 failed logins, refusing even the right password, and audits the lockout', async () => {
    const account = await register(server);
    for (let i = 0; i < 5; i++) expect(code(await login(server, account.email, `wrong-${i}-password`))).toBe('INVALID_CREDENTIALS');
    const locked = await login(server, account.email, PASSWORD);
    expect(code(locked)).toBe('ACCOUNT_LOCKED');
    expect(locked.errors![0].extensions).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect((locked.errors![0].extensions as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(800);
    const rows = await server.db.query<{ event_type: string }>(
      "SELECT event_type FROM audit_events WHERE customer_id = $1 AND event_type IN ('customer.account.locked', 'customer.login.failed') ORDER BY created_at",
      [account.id],
    );
    expect(rows.filter((r) => r.event_type === 'customer.account.locked')).toHaveLength(1);
    expect(rows.filter((r) => r.event_type === 'customer.login.failed')).toHaveLength(6);
  });

  it('a successful login resets the counter', async () => {
    const account = await register(server);
    for (let i = 0; i < 4; i++) await login(server, account.email, 'wrong password');
    expect((await login(server, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
    for (let i = 0; i < 4; i++) expect(code(await login(server, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect((await login(server, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
  });

  it('100 parallel wrong guesses: exactly 5 are compared, the other 95 meet the lock', async () => {
    const account = await register(server);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => login(server, account.email, `guess-number-${i}`)));
    const codes = results.map(code);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED')).toHaveLength(95);
    const [wrong] = await server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE customer_id = $1 AND metadata->>'reason' = 'wrong_password'",
      [account.id],
    );
    expect(wrong.n).toBe(5);
  });

  it('counts failures only within the window', async () => {
    const account = await register(server);
    for (let i = 0; i < 4; i++) await login(server, account.email, 'wrong password');
    await server.db.query("UPDATE customer_credentials SET failure_window_start = now() - interval '16 minutes' WHERE customer_id = $1", [account.id]);
    for (let i = 0; i < 4; i++) expect(code(await login(server, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect((await login(server, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
  });

  it('the cooling period grows with repeated lockouts and ends by itself', async () => {
    const short = await startTestServer({ CUSTOMER_LOCKOUT_SECONDS: '1' });
    try {
      const account = await register(short);
      const lockOnce = async () => {
        for (let i = 0; i < 5; i++) await login(short, account.email, 'wrong password');
        const res = await login(short, account.email, PASSWORD);
        expect(code(res)).toBe('ACCOUNT_LOCKED');
        const [row] = await short.db.query<{ seconds: number }>(
          'SELECT extract(epoch FROM locked_until - updated_at) AS seconds FROM customer_credentials WHERE customer_id = $1',
          [account.id],
        );
        return Number(row.seconds);
      };
      expect(await lockOnce()).toBeCloseTo(1, 1);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await lockOnce()).toBeCloseTo(2, 1);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await login(short, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
    } finally {
      await short.close();
    }
  });
});

describe('per-IP limit', () => {
  it('stops one address from trying many accounts; other addresses go on (Redis, shared by replicas)', async () => {
    const env = { ...redisEnv(), CUSTOMER_AUTH_RATE_LIMIT: '5' };
    const server = await startTestServer(env);
    const replica = await startReplica(server, env);
    try {
      // Until its connection is up, a replica counts in memory (the limiter's stand-in).
      while (!(await server.app.bus.redisReady()) || !(await replica.app.bus.redisReady())) await new Promise((r) => setTimeout(r, 20));
      const ip = fromIp('198.51.100.9');
      for (let i = 0; i < 3; i++) expect(code(await login(server, uniqueEmail('spray'), PASSWORD, undefined, ip))).toBe('INVALID_CREDENTIALS');
      for (let i = 0; i < 2; i++) {
        const res = await postGraphql(replica.url, 'mutation($e: String!) { login(input: { email: $e, password: "x-password" }) { accessToken } }', { e: uniqueEmail() }, null, ip);
        expect(code(res)).toBe('INVALID_CREDENTIALS');
      }
      const limited = await login(server, uniqueEmail('spray'), PASSWORD, undefined, ip);
      expect(code(limited)).toBe('RATE_LIMITED');
      expect(limited.errors![0].extensions).toMatchObject({ retryAfterSeconds: expect.any(Number) });
      // Registration and password resets draw on the same allowance.
      expect(code(await server.gql('mutation { requestPasswordReset(email: "a@example.com") }', {}, null, ip))).toBe('RATE_LIMITED');
      expect(code(await login(server, uniqueEmail('other'), PASSWORD, undefined, fromIp('198.51.100.10')))).toBe('INVALID_CREDENTIALS');
    } finally {
      await replica.close();
      await server.close();
    }
  });

  it('works in-process without Redis, and successful logins give their attempt back', async () => {
    const server = await startTestServer({ CUSTOMER_AUTH_RATE_LIMIT: '3' });
    try {
      const ip = fromIp('192.0.2.44');
      const account = await register(server, {}, fromIp('192.0.2.1'));
      for (let i = 0; i < 5; i++) expect((await login(server, account.email, PASSWORD, undefined, ip)).data!.login.accessToken).toEqual(expect.any(String));
      for (let i = 0; i < 3; i++) expect(code(await login(server, uniqueEmail(), PASSWORD, undefined, ip))).toBe('INVALID_CREDENTIALS');
      expect(code(await login(server, account.email, PASSWORD, undefined, ip))).toBe('RATE_LIMITED');
    } finally {
      await server.close();
    }
  });
});
