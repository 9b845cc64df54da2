import type { Client } from 'graphql-ws';
import { startTestServer, TestServer, tokens } from './helpers/server';
import { wsClient } from './helpers/ws';

/** A server with the defaults (development), one with NODE_ENV=production, one with tight limits. */
let dev: TestServer;
let prod: TestServer;
let tight: TestServer;
beforeAll(async () => {
  [dev, prod, tight] = await Promise.all([
    startTestServer(),
    // Production requires a JWT secret (the helper's is 46 bytes) and a 32-byte 2FA key.
    startTestServer({ NODE_ENV: 'production', CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32) }),
    startTestServer({ CUSTOMER_MAX_QUERY_DEPTH: '4', CUSTOMER_MAX_ROOT_FIELDS: '3', CUSTOMER_MAX_ALIASES: '100' }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.close(), prod?.close(), tight?.close()]);
});

const LOGIN = 'login(input: { email: "nobody@example.com", password: "whatever-123" }) { accessToken }';
const VERIFY = 'verifyTwoFactor(code: "123456", customerId: "00000000-0000-0000-0000-000000000000")';

type Res = Awaited<ReturnType<TestServer['gql']>>;
const messages = (res: Res) => (res.errors ?? []).map((e) => e.message);

/** Refused during validation: HTTP 400, no `data` at all, every error GRAPHQL_VALIDATION_FAILED. */
function expectRefused(res: Res, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res).not.toHaveProperty('data');
  expect(res.errors?.length).toBeGreaterThan(0);
  for (const e of res.errors!) expect(e.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(messages(res)).toContainEqual(expect.stringMatching(message));
  expect(JSON.stringify(res)).not.toMatch(/stack|INTERNAL_SERVER_ERROR/i);
}

describe('per-operation limits', () => {
  it('refuses 100 aliased logins before any resolver runs', async () => {
    const query = `mutation { ${Array.from({ length: 100 }, (_, i) => `l${i}: ${LOGIN}`).join(' ')} }`;
    let res!: Res;
    // No resolver ran: not one SQL statement was sent for the request.
    expect(await dev.countStatements(async () => (res = await dev.gql(query)))).toBe(0);
    expectRefused(res, /"login" may appear only once per operation, found 100/);
    expect(messages(res)).toContainEqual(expect.stringMatching(/Aliases limit of 15 exceeded, found 100/));
    expect(messages(res)).toContainEqual(expect.stringMatching(/Root fields limit of 20 exceeded, found 100/));

    // One login is no validation problem: it reaches its resolver, whatever that answers.
    const one = await dev.gql(`mutation { ${LOGIN} }`);
    expect(one.errors?.[0]?.extensions?.code).not.toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('allows each sensitive mutation once per operation, through fragments too', async () => {
    expectRefused(await dev.gql(`mutation { a: ${VERIFY} b: ${VERIFY} }`), /"verifyTwoFactor" may appear only once per operation, found 2/);
    expectRefused(
      await dev.gql(`mutation { ...A ... on Mutation { b: ${VERIFY} } } fragment A on Mutation { a: ${VERIFY} }`),
      /"verifyTwoFactor" may appear only once/,
    );
    expectRefused(await dev.gql(`mutation { ${LOGIN} again: register(input: { email: "x@example.com", password: "whatever-123" }) { accessToken } another: ${LOGIN} }`), /"login" may appear only once/);
    // Different sensitive mutations, once each, are not refused by this rule.
    const mixed = await dev.gql(`mutation { ${LOGIN} ${VERIFY} }`);
    expect(messages(mixed).join()).not.toMatch(/only once per operation/);
  });

  it('refuses too many aliases of a harmless field', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `g${i}: customerGroups { code }`).join(' ')} }`;
    const fifteen = await dev.gql(aliases(15), {}, tokens.admin());
    expect(fifteen.errors).toBeUndefined();
    expect(Object.keys(fifteen.data!)).toHaveLength(15);
    expectRefused(await dev.gql(aliases(16), {}, tokens.admin()), /^Aliases limit of 15 exceeded, found 16\.$/);
    // Aliases inside a fragment count too.
    expectRefused(
      await dev.gql(`{ customerGroups { ...G } } fragment G on CustomerGroup { ${Array.from({ length: 16 }, (_, i) => `c${i}: code`).join(' ')} }`, {}, tokens.admin()),
      /Aliases limit of 15 exceeded/,
    );
  });

  it('refuses operations nested deeper than CUSTOMER_MAX_QUERY_DEPTH, fragments included', async () => {
    expect((await tight.gql('{ me { preferences { consentLog { channel } } } }')).errors).toBeUndefined();
    expectRefused(await tight.gql('{ customers { edges { node { preferences { consentLog { channel } } } } } }', {}, tokens.admin()), /^Query depth limit of 4 exceeded, found 6\.$/);
    expectRefused(
      await tight.gql('{ customers { edges { ...E } } } fragment E on CustomerEdge { node { preferences { consentLog { channel } } } }', {}, tokens.admin()),
      /Query depth limit of 4 exceeded, found 6/,
    );
  });

  it('refuses operations whose estimated cost is above CUSTOMER_MAX_QUERY_COST', async () => {
    const costly = `{ customers(first: 100) { edges { node { id addresses { id city countryCode }
      auditTrail(first: 100) { edges { node { id eventType createdAt } } } } } } }`;
    expectRefused(await dev.gql(costly, {}, tokens.admin()), /^Query Cost limit of 5000 exceeded, found \d+(\.\d+)?\.$/);
    // A full page of customers with the fields a client actually lists stays well inside.
    const page = '{ customers(first: 100) { totalCount nodes { id email firstName lastName preferences { newsletter } group { code name } } } }';
    expect((await dev.gql(page, {}, tokens.admin())).errors).toBeUndefined();
  });

  it('refuses more top-level fields than CUSTOMER_MAX_ROOT_FIELDS, counting fragments', async () => {
    expect((await tight.gql('{ a: me { id } b: me { id } c: me { id } __typename }')).errors).toBeUndefined();
    expectRefused(await tight.gql('{ a: me { id } b: me { id } c: me { id } d: me { id } }'), /^Root fields limit of 3 exceeded, found 4\.$/);
    expectRefused(await tight.gql('{ a: me { id } ...R ... on Query { d: me { id } } } fragment R on Query { b: me { id } c: me { id } }'), /Root fields limit of 3 exceeded, found 4/);
    // The default (20) on the default server.
    const roots = `{ ${Array.from({ length: 21 }, (_, i) => `r${i}: me { id }`).join(' ')} }`;
    expectRefused(await dev.gql(roots), /Root fields limit of 20 exceeded, found 21/);
  });

  it('refuses documents of more than CUSTOMER_MAX_TOKENS tokens while parsing', async () => {
    const res = await dev.gql(`{ me { ${'id '.repeat(2100)} } }`);
    expect(res.status).toBe(400);
    expect(res).not.toHaveProperty('data');
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.errors?.[0].message).toMatch(/more th.. 2000 tokens/);
  });

  it('refuses too many directives', async () => {
    expectRefused(await dev.gql(`{ __typename ${'@skip(if: false) '.repeat(51)} }`), /Directives limit of 50 exceeded, found 51/);
  });

  it('applies the same limits to operations sent over graphql-ws', async () => {
    const client = wsClient(dev.url);
    try {
      const errors = await wsErrors(client, `mutation { a: ${VERIFY} b: ${VERIFY} }`);
      expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/"verifyTwoFactor" may appear only once/));
    } finally {
      await client.dispose();
    }
  });
});

describe('HTTP requests', () => {
  it('refuses batched (array) requests with 400 and a clear message', async () => {
    const res = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('answers 413 to a body over 256 KB, announced or chunked, and keeps serving', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(300 * 1024) } });
    const announced = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(announced.status).toBe(413);
    expect(await announced.json()).toEqual({ errors: [{ message: 'Request body too large (the limit is 262144 bytes)', extensions: { code: 'BAD_REQUEST' } }] });
    expect(announced.headers.get('x-content-type-options')).toBe('nosniff');

    const bytes = new TextEncoder().encode(big);
    const chunked = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < bytes.length; i += 16 * 1024) c.enqueue(bytes.subarray(i, i + 16 * 1024));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);

    const fine = await dev.gql('{ __typename }', { padding: 'x'.repeat(200 * 1024) });
    expect(fine).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('sends security headers on /graphql and on the Express routes', async () => {
    const base = dev.url.replace(/\/graphql$/, '');
    const graphql = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    const health = await fetch(`${base}/api/v1/customers/health`);
    const notFound = await fetch(`${base}/nope`);
    for (const res of [graphql, health, notFound]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('x-powered-by')).toBeNull();
      // Development: no CSP, so Apollo's landing page (inline script, CDN sandbox) works.
      expect(res.headers.get('content-security-policy')).toBeNull();
    }
    const landing = await fetch(dev.url, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('NODE_ENV=production', () => {
  it('refuses introspection', async () => {
    expectRefused(await prod.gql('{ __schema { types { name } } }'), /introspection is not allowed/);
    expectRefused(await prod.gql('{ __type(name: "Customer") { fields { name } } }'), /introspection is not allowed/);
    expect((await prod.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('keeps the federation _service { sdl } field working (it is not introspection)', async () => {
    const res = await prod.gql('{ _service { sdl } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!._service.sdl).toMatch(/type Customer\s+@key\(fields: "id"\)/);
  });

  it('names no schema fields or values in error messages', async () => {
    const typo = await prod.gql('{ me { emial } }');
    expectRefused(typo, /^Cannot query field "emial" on type "Customer"\.$/);
    const input = await prod.gql('mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', { i: { email: 'x@example.com', emial: 'y', gender: 'MALLE' } }, tokens.admin());
    expect(input.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(input.errors)).not.toMatch(/Did you mean|Suggestion|"MALE"|"email"/);
  });

  it('sends a strict Content-Security-Policy and serves no landing page', async () => {
    const res = await fetch(prod.url, { headers: { accept: 'text/html', 'apollo-require-preflight': 'true' } });
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers.get('content-type')).not.toMatch(/text\/html/);
    const health = await fetch(prod.url.replace(/\/graphql$/, '/api/v1/customers/health'));
    expect(health.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('refuses introspection over graphql-ws too', async () => {
    const client = wsClient(prod.url);
    try {
      const errors = await wsErrors(client, '{ __schema { queryType { name } } }');
      expect(errors.map((e) => e.message).join()).toMatch(/introspection/i);
    } finally {
      await client.dispose();
    }
  });
});

describe('development', () => {
  it('allows introspection and suggests field names', async () => {
    const res = await dev.gql('{ __schema { queryType { name } } }');
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(messages(await dev.gql('{ me { emial } }'))).toEqual(['Cannot query field "emial" on type "Customer". Did you mean "email"?']);
  });
});

/** Runs one operation over graphql-ws and returns the errors it was refused with. */
function wsErrors(client: Client, query: string): Promise<{ message: string }[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer over graphql-ws')), 5000);
    client.subscribe(
      { query },
      {
        next: (v) => {
          clearTimeout(timer);
          resolve((v.errors ?? []) as { message: string }[]);
        },
        error: (e) => {
          clearTimeout(timer);
          resolve(Array.isArray(e) ? e : [e as { message: string }]);
        },
        complete: () => undefined,
      },
    );
  });
}
