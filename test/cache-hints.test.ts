import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

// Cache-Control hints for Apollo Router's entity cache: personal data is private with a short
// max-age; mutations, errors and refused requests are no-store; only the schema is public.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const admin = tokens.admin();

async function post(url: string, query: string, variables: Record<string, unknown> = {}, token: string | null = admin) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, body, cacheControl: res.headers.get('cache-control'), vary: res.headers.get('vary') };
}

describe('Cache-Control', () => {
  it('a query of personal data is private with a short max-age, and varies by authorization', async () => {
    const c = await createCustomer(server);
    const res = await post(server.url, 'query($id: ID!) { customer(id: $id) { id email } }', { id: c.id }, tokens.customer(c.id));
    expect(res.body.errors).toBeUndefined();
    expect(res.cacheControl).toBe('private, max-age=30');
    expect(res.vary?.toLowerCase()).toContain('authorization');
    // Anonymous `me` answers null, still per caller.
    const anonymous = await post(server.url, '{ me { id } }', {}, null);
    expect(anonymous.body).toEqual({ data: { me: null } });
    expect(anonymous.cacheControl).toBe('private, max-age=30');
  });

  it('_entities answers are private too (what the router entity cache stores per entity)', async () => {
    const c = await createCustomer(server);
    const res = await post(server.url, 'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id email } } }', {
      reps: [{ __typename: 'Customer', id: c.id }],
    });
    expect(res.body.data._entities).toEqual([{ id: c.id, email: c.email }]);
    expect(res.cacheControl).toBe('private, max-age=30');
  });

  it('a mutation is no-store', async () => {
    const c = await createCustomer(server);
    const res = await post(server.url, 'mutation($id: ID!) { updateCustomer(id: $id, input: { firstName: "Cache" }) { id } }', { id: c.id });
    expect(res.body.errors).toBeUndefined();
    expect(res.cacheControl).toBe('no-store');
  });

  it('any error is no-store: a refused field, a partial answer, validation, a bad token, a malformed body', async () => {
    const c = await createCustomer(server);
    const other = await createCustomer(server);
    const forbidden = await post(server.url, 'query($id: ID!) { customer(id: $id) { id } }', { id: other.id }, tokens.customer(c.id));
    expect(forbidden.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.cacheControl).toBe('no-store');

    const partial = await post(
      server.url,
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id } } }',
      {
        reps: [c, other].map((x) => ({ __typename: 'Customer', id: x.id })),
      },
      tokens.customer(c.id),
    );
    expect(partial.body.data._entities[0]).toEqual({ id: c.id });
    expect(partial.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(partial.cacheControl).toBe('no-store');

    const invalid = await post(server.url, '{ nope }');
    expect(invalid.status).toBe(400);
    expect(invalid.cacheControl).toBe('no-store');

    const badToken = await post(server.url, '{ me { id } }', {}, 'not-a-jwt');
    expect(badToken.status).toBe(401);
    expect(badToken.cacheControl).toBe('no-store');

    const malformed = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('cache-control')).toBe('no-store');
  });

  it('the schema (`_service`) is public', async () => {
    const res = await post(server.url, '{ _service { sdl } }', {}, null);
    expect(res.body.data._service.sdl).toContain('type Customer');
    expect(res.cacheControl).toBe('public, max-age=30');
  });

  it('a GET query carries the same hint', async () => {
    const c = await createCustomer(server);
    const q = encodeURIComponent('{ me { id } }');
    const res = await fetch(`${server.url}?query=${q}`, { headers: { authorization: `Bearer ${tokens.customer(c.id)}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, max-age=30');
  });

  it('CUSTOMER_CACHE_MAX_AGE sets max-age; 0 makes every answer no-store', async () => {
    const five = await startTestServer({ CUSTOMER_CACHE_MAX_AGE: '5', CUSTOMER_METRICS_ENABLED: 'false' });
    try {
      expect((await post(five.url, '{ me { id } }', {}, null)).cacheControl).toBe('private, max-age=5');
      expect((await post(five.url, '{ _service { sdl } }', {}, null)).cacheControl).toBe('public, max-age=5');
    } finally {
      await five.close();
    }
    const zero = await startTestServer({ CUSTOMER_CACHE_MAX_AGE: '0', CUSTOMER_METRICS_ENABLED: 'false' });
    try {
      expect((await post(zero.url, '{ me { id } }', {}, null)).cacheControl).toBe('no-store');
      expect((await post(zero.url, '{ _service { sdl } }', {}, null)).cacheControl).toBe('no-store');
    } finally {
      await zero.close();
    }
  });
});
