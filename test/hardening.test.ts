import type { Client } from 'graphql-ws';
import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';
import { subscribe, wsClient } from './helpers/ws';

/** A server with the defaults (development), one with NODE_ENV=production, one with tight limits. */
let dev: TestServer;
let prod: TestServer;
let tight: TestServer;
beforeAll(async () => {
  [dev, prod, tight] = await Promise.all([
    startTestServer(),
    // Production requires a JWT secret (the helper's is 46 bytes) and a 32-byte 2FA key.
    startTestServer({ NODE_ENV: 'production', CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32) }),
    startTestServer({ CUSTOMER_MAX_QUERY_DEPTH: '4', CUSTOMER_MAX_ROOT_FIELDS: '3', CUSTOMER_MAX_ALIASES: '100', CUSTOMER_MAX_REPRESENTATIONS: '5' }),
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
    expectRefused(
      await dev.gql(`mutation { ${LOGIN} again: register(input: { email: "x@example.com", password: "whatever-123" }) { accessToken } another: ${LOGIN} }`),
      /"login" may appear only once/,
    );
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
      await dev.gql(
        `{ customerGroups { ...G } } fragment G on CustomerGroup { ${Array.from({ length: 16 }, (_, i) => `c${i}: code`).join(' ')} }`,
        {},
        tokens.admin(),
      ),
      /Aliases limit of 15 exceeded/,
    );
  });

  it('refuses operations nested deeper than CUSTOMER_MAX_QUERY_DEPTH, fragments included', async () => {
    expect((await tight.gql('{ me { preferences { consentLog { channel } } } }')).errors).toBeUndefined();
    expectRefused(
      await tight.gql('{ customers { edges { node { preferences { consentLog { channel } } } } } }', {}, tokens.admin()),
      /^Query depth limit of 4 exceeded, found 6\.$/,
    );
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
    expectRefused(
      await tight.gql('{ a: me { id } ...R ... on Query { d: me { id } } } fragment R on Query { b: me { id } c: me { id } }'),
      /Root fields limit of 3 exceeded, found 4/,
    );
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
    expect(await announced.json()).toEqual({
      errors: [{ message: 'Request body too large (the limit is 262144 bytes)', extensions: { code: 'BAD_REQUEST' } }],
    });
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
    const input = await prod.gql(
      'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }',
      { i: { email: 'x@example.com', emial: 'y', gender: 'MALLE' } },
      tokens.admin(),
    );
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

  it('names no schema fields or values in error messages over graphql-ws either', async () => {
    const client = wsClient(prod.url);
    try {
      expect(await wsErrors(client, '{ me { emal } }')).toEqual([expect.objectContaining({ message: 'Cannot query field "emal" on type "Customer".' })]);
      expect(await wsErrors(client, 'mutation { creatCustomer { id } }')).toEqual([
        expect.objectContaining({ message: 'Cannot query field "creatCustomer" on type "Mutation".' }),
      ]);
      const input = await wsErrors(client, 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }', {
        i: { email: 'x@example.com', gender: 'MALLE' },
      });
      expect(input.length).toBeGreaterThan(0);
      expect(JSON.stringify(input)).not.toMatch(/Did you mean|"MALE"/);
    } finally {
      await client.dispose();
    }
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
function wsErrors(client: Client, query: string, variables?: Record<string, unknown>): Promise<{ message: string }[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer over graphql-ws')), 5000);
    client.subscribe(
      { query, variables },
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

/**
 * Inputs that answered INTERNAL_SERVER_ERROR (or reached the database or a loader's internal
 * key format) now get a stable client code, in production mode.
 */
describe('malformed inputs get a stable code', () => {
  const UPDATE = 'mutation($id: ID!, $i: UpdateCustomerInput!) { updateCustomer(id: $id, input: $i) { id firstName metadata } }';
  const fieldErrors = (res: Res) => res.errors?.[0]?.extensions?.fieldErrors;
  const expectBadInput = (res: Res, field: string) => {
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fieldErrors(res)).toContainEqual({ field, message: expect.any(String) });
    expect(JSON.stringify(res)).not.toMatch(/INTERNAL_SERVER_ERROR|stack/);
  };

  it('refuses deeply nested JSON in metadata and custom (it overflowed the stack) with fieldErrors', async () => {
    const c = await createCustomer(prod);
    // 100,000 levels sent as raw JSON (the client's own JSON.stringify would overflow first).
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const raw = await fetch(prod.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin()}` },
      body: `{"query":${JSON.stringify(UPDATE)},"variables":{"id":"${c.id}","i":{"metadata":{"a":${deep}}}}}`,
    });
    expect(raw.status).toBe(200);
    expectBadInput((await raw.json()) as Res, 'input.metadata');

    let nested: unknown = 1;
    for (let i = 0; i < 40; i++) nested = { a: nested };
    expectBadInput(await prod.gql(UPDATE, { id: c.id, i: { metadata: nested } }, tokens.admin()), 'input.metadata');
    const prefs = 'mutation($id: ID!, $i: PreferencesInput!) { updatePreferences(customerId: $id, input: $i) { custom } }';
    expectBadInput(await prod.gql(prefs, { id: c.id, i: { custom: nested } }, tokens.admin()), 'input.custom');
    // Ten levels are fine.
    let shallow: unknown = 'x';
    for (let i = 0; i < 10; i++) shallow = { a: shallow };
    expect((await prod.gql(UPDATE, { id: c.id, i: { metadata: shallow } }, tokens.admin())).data?.updateCustomer.metadata).toEqual(shallow);
  });

  it('refuses a lone UTF-16 surrogate (the email validator threw on it) and NUL bytes in any string argument, naming the field', async () => {
    const c = await createCustomer(prod);
    const create = 'mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }';
    expectBadInput(await prod.gql(create, { i: { email: 'ann\uD800@example.com' } }, tokens.admin()), 'input.email');
    expectBadInput(await prod.gql(create, { i: { email: 'ann@example.com', lastName: '\uDC00' } }, tokens.admin()), 'input.lastName');
    const reg = 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }';
    expectBadInput(await prod.gql(reg, { i: { email: 'bo\uD83D@example.com', password: 'correct horse battery' } }), 'input.email');
    expectBadInput(await prod.gql(reg, { i: { email: 'bo@example.com', password: 'correct\u0000horse battery' } }), 'input.password');
    expectBadInput(await prod.gql(UPDATE, { id: c.id, i: { firstName: 'An\u0000n' } }, tokens.admin()), 'input.firstName');
    const address = 'mutation($id: ID!, $i: AddressInput!) { createAddress(customerId: $id, input: $i) { id } }';
    expectBadInput(
      await prod.gql(address, { id: c.id, i: { addressLine1: '1 Road\u0000', city: 'Rotterdam', postalCode: '3011 AA', countryCode: 'NL' } }, tokens.admin()),
      'input.addressLine1',
    );
    expectBadInput(await prod.gql('query($e: String!) { customerByEmail(email: $e) { id } }', { e: 'a\u0000@example.com' }, tokens.admin()), 'email');
    expectBadInput(
      await prod.gql('query($s: String) { customers(filter: { search: $s }) { totalCount } }', { s: 'ann\u0000' }, tokens.admin()),
      'filter.search',
    );
    expectBadInput(await prod.gql('mutation($t: String!) { verifyEmail(token: $t) { id } }', { t: 'x\u0000' }), 'token');
    // JSON values too (JSONB refuses NUL), keys included.
    expectBadInput(await prod.gql(UPDATE, { id: c.id, i: { metadata: { 'k\u0000': 1 } } }, tokens.admin()), 'input.metadata');
    // Emoji (paired surrogates) are text like any other.
    expect((await prod.gql(UPDATE, { id: c.id, i: { firstName: 'Ann 🎉' } }, tokens.admin())).data?.updateCustomer.firstName).toBe('Ann 🎉');
  });

  it('keeps login and requestPasswordReset non-revealing for such text', async () => {
    const LOGIN_Q = 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }';
    const unknown = await prod.gql(LOGIN_Q, { i: { email: 'nobody@example.com', password: 'whatever-123' } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('INVALID_CREDENTIALS');
    for (const i of [
      { email: 'no\u0000body@example.com', password: 'whatever-123' },
      { email: 'nobody@example.com', password: 'what\u0000ever-123' },
      { email: 'no\uD800body@example.com', password: 'whatever-123' },
    ]) {
      const res = await prod.gql(LOGIN_Q, { i });
      expect(res.errors).toEqual(unknown.errors);
    }
    const reset = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
    for (const e of ['no\u0000body@example.com', 'no\uDC00body@example.com'])
      expect(await prod.gql(reset, { e })).toMatchObject({ data: { requestPasswordReset: true } });
  });

  it('answers a subscription sent over plain HTTP POST with 400 BAD_REQUEST before any resolver runs', async () => {
    let res!: Res;
    const sent = await prod.countStatements(async () => {
      res = await prod.gql('subscription { customerChanged { eventId } }', {}, tokens.admin());
    });
    expect(sent).toBe(0);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.errors?.[0]?.message).toMatch(/WebSocket/);
  });

  it('answers _entities with an unknown or missing __typename with BAD_USER_INPUT naming the representation', async () => {
    const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    const c = await createCustomer(prod);
    const res = await prod.gql(ENTITIES, { r: [{ __typename: 'Customer', id: c.id }, { __typename: 'Nope', id: c.id }, { id: c.id }] }, tokens.admin());
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(fieldErrors(res)?.map((f) => f.field)).toEqual(['representations[1].__typename', 'representations[2].__typename']);
    // An id that is no UUID still reads as "not found", and the upper-case one is the customer.
    const ok = await prod.gql(
      ENTITIES.replace('__typename }', '... on Customer { id } }'),
      {
        r: [
          { __typename: 'Customer', id: 'nope' },
          { __typename: 'Customer', id: c.id.toUpperCase() },
        ],
      },
      tokens.admin(),
    );
    expect(ok).toMatchObject({ data: { _entities: [null, { id: c.id }] } });
    expect(ok.errors).toBeUndefined();
  });

  it('refuses more _entities representations per operation than CUSTOMER_MAX_REPRESENTATIONS, all aliases together', async () => {
    const c = await createCustomer(tight);
    const r = Array.from({ length: 3 }, () => ({ __typename: 'Customer', id: c.id }));
    const one = 'query($r: [_Any!]!) { a: _entities(representations: $r) { ... on Customer { id } } }';
    expect((await tight.gql(one, { r }, tokens.admin())).data!.a).toHaveLength(3);
    // The same list under two aliases: 6 of at most 5.
    const two = 'query($r: [_Any!]!) { a: _entities(representations: $r) { ... on Customer { id } } b: _entities(representations: $r) { __typename } }';
    const refused = await tight.gql(two, { r }, tokens.admin());
    expect(refused.data).toBeNull();
    expect(refused.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['b'], 'BAD_USER_INPUT']]);
    expect(refused.errors?.[0].message).toBe('Too many representations: at most 5 per operation');
    // Anonymous too: refused before any representation's rule.
    const anonymous = await tight.gql(one, { r: [...r, ...r] });
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers an APQ hash that does not match its query, or an unknown APQ version, with 400 BAD_REQUEST', async () => {
    for (const persistedQuery of [
      { version: 1, sha256Hash: 'deadbeef' },
      { version: 2, sha256Hash: 'deadbeef' },
    ]) {
      const res = await fetch(prod.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ me { id } }', extensions: { persistedQuery } }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Res;
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    }
  });

  it('refuses cursors PostgreSQL would reject (NUL, impossible dates) with fieldErrors on after', async () => {
    const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    const id = '00000000-0000-4000-8000-000000000000';
    const LIST = 'query($a: String, $o: CustomerOrder) { customers(after: $a, orderBy: $o) { totalCount } }';
    for (const [after, orderBy] of [
      [cursor(['EMAIL:ASC', 'a\u0000', id]), { field: 'EMAIL', direction: 'ASC' }],
      [cursor(['CREATED_AT:DESC', '2026-02-30 00:00:00+00', id]), null],
      [cursor(['CREATED_AT:DESC', '0000-01-01 00:00:00+00', id]), null],
    ] as const) {
      expectBadInput(await prod.gql(LIST, { a: after, o: orderBy }, tokens.admin()), 'after');
    }
    expectBadInput(
      await prod.gql(
        'query($a: String) { auditEvents(after: $a) { nodes { id } } }',
        { a: cursor(['AUDIT:CREATED_AT:DESC', '2026-02-30T00:00:00.000000Z', id]) },
        tokens.admin(),
      ),
      'after',
    );
  });

  it('refuses an audit cursor with an impossible date for its own field only, not for a sibling alias', async () => {
    const [a, b] = [await createCustomer(prod), await createCustomer(prod)];
    const bad = Buffer.from(JSON.stringify(['AUDIT:CREATED_AT:DESC', '2026-02-30T12:00:00.000000Z', a.id])).toString('base64url');
    const res = await prod.gql(
      'query($a: ID!, $b: ID!, $bad: String) { a: customer(id: $a) { auditTrail(after: $bad) { nodes { id } } } b: customer(id: $b) { auditTrail { nodes { eventType } } } }',
      { a: a.id, b: b.id, bad },
      tokens.admin(),
    );
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]).toMatchObject({ path: ['a', 'auditTrail'], extensions: { code: 'BAD_USER_INPUT' } });
    expect(res.data).toEqual({ a: null, b: { auditTrail: { nodes: [{ eventType: 'customer.profile.create' }] } } });
  });
});

describe('ids are validated, lower-cased UUIDs everywhere', () => {
  it('refuses customer(id: "<uuid>|erased") before any loader (it answered an erased customer through the loader key)', async () => {
    const c = await createCustomer(prod);
    await prod.gql('mutation($id: ID!) { deleteCustomer(id: $id) { customerId } }', { id: c.id }, tokens.admin());
    const res = await prod.gql('query($id: ID!) { customer(id: $id) { id status } }', { id: `${c.id}|erased` }, tokens.admin());
    expect(res.data).toEqual({ customer: null });
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'id', message: 'must be a UUID' }] });
  });

  it('delivers customerChanged(customerId:) to an ADMIN who sent the id in upper case', async () => {
    const c = await createCustomer(prod);
    const client = wsClient(prod.url, tokens.admin());
    try {
      const sub = await subscribe(client, 'subscription($id: ID) { customerChanged(customerId: $id) { customerId type } }', { id: c.id.toUpperCase() });
      await prod.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { lastName: "Live" }) { id } }', { id: c.id.toUpperCase() }, tokens.admin());
      const [event] = await sub.waitFor(1);
      expect(event.customerChanged).toEqual({ customerId: c.id, type: 'CUSTOMER_UPDATED' });
      sub.close();
    } finally {
      await client.dispose();
    }
  });
});

describe('graphql-ws request errors', () => {
  it('answers a variable of the wrong type sent over graphql-ws with BAD_USER_INPUT naming it (it answered INTERNAL_SERVER_ERROR)', async () => {
    const client = wsClient(prod.url, tokens.admin());
    try {
      const sub = await subscribe(client, 'subscription($f: AuditEventFilter) { auditEventRecorded(filter: $f) { id } }', { f: 12 });
      expect(sub.errors).toEqual([
        expect.objectContaining({
          extensions: { code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'f', message: expect.stringMatching(/^Variable "\$f" got invalid value 12/) }] },
        }),
      ]);
      sub.close();
    } finally {
      await client.dispose();
    }
  });
});
