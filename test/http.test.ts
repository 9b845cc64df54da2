import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer();
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await server.close();
});

describe('HTTP surface', () => {
  it('serves liveness and readiness', async () => {
    const live = await fetch(`${base}/api/v1/customers/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'up' });
  });

  it('answers GraphQL queries over GET (with the CSRF preflight header) and refuses mutations over GET', async () => {
    const c = await createCustomer(server);
    const q = encodeURIComponent('{ me { id } }');
    const res = await fetch(`${base}/graphql?query=${q}`, {
      headers: { authorization: `Bearer ${tokens.customer(c.id)}`, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { id: c.id } } });
    const noPreflight = await fetch(`${base}/graphql?query=${q}`);
    expect(noPreflight.status).toBe(400);
    const m = encodeURIComponent('mutation { logout }');
    const mutation = await fetch(`${base}/graphql?query=${m}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(mutation.status).toBe(405);
  });

  it('answers 404 for unknown paths and 400 for a malformed body', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const bad = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);
  });

  it('takes the client IP from X-Forwarded-For only when the hop is a trusted proxy', async () => {
    const c = await createCustomer(server);
    const update = 'mutation($id: ID!) { updatePreferences(customerId: $id, input: { newsletter: true }) { consentLog { ipAddress } } }';
    // loopback is trusted by default, so the forwarded address is used
    const res = await server.gql(update, { id: c.id }, tokens.admin(), { 'x-forwarded-for': '203.0.113.7' });
    expect(res.data!.updatePreferences.consentLog[0].ipAddress).toBe('203.0.113.7');

    const strict = await startTestServer({ CUSTOMER_TRUSTED_PROXIES: 'false' });
    try {
      const d = await createCustomer(strict);
      const spoofed = await strict.gql(update, { id: d.id }, tokens.admin(), { 'x-forwarded-for': '203.0.113.7' });
      expect(spoofed.data!.updatePreferences.consentLog[0].ipAddress).toMatch(/127\.0\.0\.1/);
    } finally {
      await strict.close();
    }
  });

  it('records no address, and still works, when a trusted proxy forwards one that is not an IP', async () => {
    const update = 'mutation($id: ID!) { updatePreferences(customerId: $id, input: { newsletter: true }) { consentLog { ipAddress } } }';
    for (const [forwarded, recorded] of [
      ['unknown', null],
      ['fe80::1%eth0', 'fe80::1'],
      ['_hidden', null],
      ['203.0.113.7:51234', '203.0.113.7'],
      ['[2001:db8::7]:443', '2001:db8::7'],
    ] as const) {
      const c = await createCustomer(server);
      const res = await server.gql(update, { id: c.id }, tokens.admin(), { 'x-forwarded-for': forwarded });
      expect(res.errors).toBeUndefined();
      expect(res.data!.updatePreferences.consentLog[0].ipAddress).toBe(recorded);
      // A failed login is still audited (it used to be lost with the statement that refused the address).
      const email = `${c.id.slice(0, 8)}.xff@example.com`;
      await server.gql(
        'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
        { input: { email, password: 'correct horse battery' } },
        null,
        { 'x-forwarded-for': forwarded },
      );
      const login = await server.gql(
        'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
        { input: { email, password: 'wrong password here' } },
        null,
        {
          'x-forwarded-for': forwarded,
        },
      );
      expect(login.errors?.[0].extensions?.code).toBe('INVALID_CREDENTIALS');
      const rows = await server.db.query<{ ip: string | null }>(
        "SELECT host(a.ip_address) AS ip FROM audit_events a JOIN customers c ON c.id = a.customer_id WHERE c.email = $1 AND a.event_type = 'customer.login.failed'",
        [email],
      );
      expect(rows).toEqual([{ ip: recorded }]);
    }
  });
});
