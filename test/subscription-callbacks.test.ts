import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createCustomer, errorCode, startTestServer, TEST_JWT_SECRET, TestServer, tokens } from './helpers/server';

/**
 * Apollo Router's HTTP callback protocol for subscriptions: the service posts `check`, then each
 * event as `next`, to the router's callback URL. Only to the URLs CUSTOMER_SUBSCRIPTION_CALLBACK_URLS
 * names: a request naming any other address is refused before anything is sent.
 */
class FakeRouter {
  readonly received: { path: string; body: any }[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(204);
      res.end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 10000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check() && Date.now() < end;) await sleep(50);
}

const UPDATE = 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';
const SUBSCRIBE = 'subscription { customerChanged { type customerId } }';

function callbackRequest(
  url: string,
  token: string | null,
  subscription: Record<string, unknown>,
  operation: { query: string; variables?: object } = { query: SUBSCRIBE },
) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json;callbackSpec=1.0',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      ...operation,
      extensions: { subscription: { subscriptionId: 'sub-1', verifier: 'secret-verifier', heartbeatIntervalMs: 0, ...subscription } },
    }),
  });
}

describe('with the router configured (CUSTOMER_SUBSCRIPTION_CALLBACK_URLS)', () => {
  const router = new FakeRouter();
  /** Listens like a router, at an address no configuration names. */
  const elsewhere = new FakeRouter();
  let routerBase: string;
  let elsewhereBase: string;
  let server: TestServer;

  beforeAll(async () => {
    routerBase = await router.start();
    elsewhereBase = await elsewhere.start();
    server = await startTestServer({ CUSTOMER_SUBSCRIPTION_CALLBACK_URLS: `${routerBase}/callback` });
  });
  afterAll(async () => {
    await server.close();
    await router.stop();
    await elsewhere.stop();
  });

  it('sends check, then each committed change as next, to the router callback URL', async () => {
    const c = await createCustomer(server);
    const res = await callbackRequest(server.url, tokens.customer(c.id), { callbackUrl: `${routerBase}/callback/sub-1` });
    expect(res.status).toBe(200);
    await until(() => router.received.length >= 1);
    expect(router.received[0].body).toMatchObject({ kind: 'subscription', action: 'check', id: 'sub-1', verifier: 'secret-verifier' });
    await sleep(300);
    await server.gql(UPDATE, { id: c.id, input: { lastName: 'Callback' } }, tokens.customer(c.id));
    // (the customer's creation may arrive first: it was committed just before subscribing)
    const isUpdate = (m: any) => m.action === 'next' && m.payload.data.customerChanged.type === 'CUSTOMER_UPDATED';
    await until(() => router.received.some((m) => isUpdate(m.body)));
    expect(router.received.find((m) => isUpdate(m.body))!.body.payload.data.customerChanged).toEqual({ type: 'CUSTOMER_UPDATED', customerId: c.id });
    const next = router.received.filter((m) => m.body.action === 'next');
    expect(next.every((m) => m.body.payload.data.customerChanged.customerId === c.id)).toBe(true);
  });

  it('sends no data once the token of the subscription has expired: the event is an UNAUTHENTICATED error', async () => {
    const c = await createCustomer(server);
    // A platform token without a session: only its expiry limits it. Valid for 1 s plus the 2 s of clock tolerance.
    const shortLived = jwt.sign({ sub: c.id, role: 'CUSTOMER', exp: Math.floor(Date.now() / 1000) + 1 }, TEST_JWT_SECRET);
    const res = await callbackRequest(server.url, shortLived, { callbackUrl: `${routerBase}/callback/expiring`, subscriptionId: 'expiring' });
    expect(res.status).toBe(200);
    const mine = () => router.received.filter((m) => m.body.id === 'expiring' && m.body.action === 'next').map((m) => m.body.payload);
    await sleep(300);
    await server.gql(UPDATE, { id: c.id, input: { lastName: 'Seen' } }, tokens.admin());
    await until(() => mine().some((p) => p.data?.customerChanged?.type === 'CUSTOMER_UPDATED'));
    const seen = mine().length;

    await sleep((Math.floor(Date.now() / 1000) + 4) * 1000 - Date.now()); // past exp + tolerance
    await server.gql(UPDATE, { id: c.id, input: { lastName: 'Unseen', phone: '+14155550100' } }, tokens.admin());
    await until(() => mine().length > seen);
    const after = mine().slice(seen);
    expect(after).toHaveLength(1);
    expect(after[0].data).toBeNull();
    expect(after[0].errors[0]).toMatchObject({ message: expect.stringMatching(/expired/), extensions: { code: 'UNAUTHENTICATED' } });
    expect(JSON.stringify(after)).not.toContain('Unseen');
  });

  it('refuses any other callback URL with 403 FORBIDDEN, and posts nothing there', async () => {
    const c = await createCustomer(server);
    const before = router.received.length;
    const tries = [
      `${elsewhereBase}/callback`, // another origin
      `${routerBase}/callbackevil`, // beside the path, not under it
      `${routerBase}/admin`,
      `${routerBase.replace('http://', 'http://user:pw@')}/callback`,
    ];
    for (const callbackUrl of tries) {
      const res = await callbackRequest(server.url, tokens.customer(c.id), { callbackUrl });
      expect(res.status).toBe(403);
      expect(errorCode((await res.json()) as never)).toBe('FORBIDDEN');
    }
    const anonymous = await callbackRequest(server.url, null, { callbackUrl: `${elsewhereBase}/callback` });
    expect(anonymous.status).toBe(403);
    await sleep(300);
    expect(elsewhere.received).toEqual([]);
    expect(router.received.length).toBe(before);
  });

  it('answers a request that is no valid subscription over HTTP, with its code, and posts nothing to the router', async () => {
    const c = await createCustomer(server);
    const before = router.received.length;
    const cases: [{ query: string; variables?: object }, number, string][] = [
      [{ query: '{ __typename }' }, 400, 'BAD_REQUEST'],
      [{ query: 'mutation($id: ID!) { setCustomerStatus(id: $id, status: ACTIVE) { id } }', variables: { id: c.id } }, 400, 'BAD_REQUEST'],
      [{ query: 'subscription {' }, 400, 'GRAPHQL_PARSE_FAILED'],
      [{ query: 'subscription { a: customerChanged { type } b: customerChanged { type } }' }, 400, 'GRAPHQL_VALIDATION_FAILED'],
      [{ query: 'subscription($c: ID) { customerChanged(customerId: $c) { type } }', variables: { c: {} } }, 400, 'BAD_USER_INPUT'],
    ];
    for (const [operation, status, code] of cases) {
      const res = await callbackRequest(server.url, tokens.admin(), { callbackUrl: `${routerBase}/callback/invalid` }, operation);
      expect([operation.query, res.status, errorCode((await res.json()) as never)]).toEqual([operation.query, status, code]);
    }
    await sleep(300);
    expect(router.received.slice(before)).toEqual([]);
  });

  it('refuses a heartbeat faster than once a second with 400 BAD_USER_INPUT', async () => {
    const c = await createCustomer(server);
    const before = router.received.length;
    for (const heartbeatIntervalMs of [10, 999, -5, 'soon', 2 ** 31]) {
      const res = await callbackRequest(server.url, tokens.customer(c.id), { callbackUrl: `${routerBase}/callback`, heartbeatIntervalMs });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(errorCode(body)).toBe('BAD_USER_INPUT');
      expect(body.errors[0].extensions.fieldErrors[0].field).toBe('extensions.subscription.heartbeatIntervalMs');
    }
    await sleep(300);
    expect(router.received.length).toBe(before);
  });
});

describe('without CUSTOMER_SUBSCRIPTION_CALLBACK_URLS (the default)', () => {
  const target = new FakeRouter();
  let base: string;
  let server: TestServer;

  beforeAll(async () => {
    base = await target.start();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
    await target.stop();
  });

  it('the callback protocol is off: over POST or GET, 403 naming the variable, and nothing is sent', async () => {
    const c = await createCustomer(server);
    const post = await callbackRequest(server.url, tokens.customer(c.id), { callbackUrl: `${base}/callback` });
    expect(post.status).toBe(403);
    const body = (await post.json()) as any;
    expect(errorCode(body)).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/CUSTOMER_SUBSCRIPTION_CALLBACK_URLS/);

    const extensions = JSON.stringify({ subscription: { callbackUrl: `${base}/callback`, subscriptionId: 's', verifier: 'v' } });
    const get = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}&extensions=${encodeURIComponent(extensions)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(403);
    await sleep(300);
    expect(target.received).toEqual([]);
  });
});
