import jwt from 'jsonwebtoken';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Gateway, startGateway } from '../gateway/local';
import { OrdersSubgraph, startOrdersSubgraph } from '../gateway/orders-subgraph';
import { createCustomer, startTestServer, TestServer, TEST_JWT_SECRET, tokens } from './helpers/server';
import { subscribe, wsClient } from './helpers/ws';

/**
 * Subscriptions through a real gateway, end to end: a graphql-ws client of Hive Gateway
 * (npm run gateway), which subscribes to the customer subgraph over graphql-ws with the
 * caller's token and joins the demo orders subgraph into each event. The Apollo Router of
 * docker-compose.yml cannot run here; gateway.test.ts checks its configuration instead.
 */

const RENAME = 'mutation($id: ID!, $n: String!) { updateCustomer(id: $id, input: { firstName: $n }) { id } }';
const CHANGED = 'subscription($id: ID) { customerChanged(customerId: $id) { type customerId customer { id firstName } } }';

/**
 * Resolves once every committed change has been published, so a subscription started next
 * sees only what happens after it (the relay publishes after commit, not before the mutation answers).
 */
async function published(server: TestServer): Promise<void> {
  for (;;) {
    const [{ n }] = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE status = 'PENDING'");
    if (n === 0) return server.app.relay.idle();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The first error of a subscription that ended in errors, within `timeoutMs`. */
async function firstError(sub: { errors: unknown[] }, timeoutMs: number): Promise<{ message?: string; extensions?: { code?: string } }> {
  const deadline = Date.now() + timeoutMs;
  while (sub.errors.length === 0) {
    if (Date.now() > deadline) throw new Error(`no error within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return sub.errors[0] as { message?: string; extensions?: { code?: string } };
}

describe('subscriptions through the gateway (Hive Gateway -> graphql-ws -> customer subgraph)', () => {
  let customer: TestServer;
  let orders: OrdersSubgraph;
  let gateway: Gateway;
  const clients: { dispose(): unknown }[] = [];
  const client = (token?: string) => {
    const c = wsClient(gateway.url, token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    customer = await startTestServer();
    orders = await startOrdersSubgraph({ port: 0, host: '127.0.0.1' });
    gateway = await startGateway({ subgraphs: { customer: customer.url, orders: orders.url }, port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });

  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await customer?.close();
  });

  it("customerChanged for one customer: the owner and an ADMIN see its committed change, not another customer's", async () => {
    const ann = await createCustomer(customer);
    const bob = await createCustomer(customer);
    await published(customer);
    const asOwner = await subscribe(client(tokens.customer(ann.id)), CHANGED, { id: ann.id });
    const asAdmin = await subscribe(client(tokens.admin()), CHANGED, { id: ann.id });
    await customer.gql(RENAME, { id: bob.id, n: 'Bob' }, tokens.admin());
    await customer.gql(RENAME, { id: ann.id, n: 'Ann' }, tokens.admin());
    const expected = { customerChanged: { type: 'CUSTOMER_UPDATED', customerId: ann.id, customer: { id: ann.id, firstName: 'Ann' } } };
    expect(await asOwner.waitFor(1)).toEqual([expected]);
    expect(await asAdmin.waitFor(1)).toEqual([expected]);
    expect(asOwner.errors).toEqual([]);
  });

  it("customerChanged for all customers (ADMIN): every customer's changes, in commit order", async () => {
    await published(customer);
    const all = await subscribe(client(tokens.admin()), 'subscription { customerChanged { type customerId } }');
    const a = await createCustomer(customer);
    const b = await createCustomer(customer);
    await customer.gql(RENAME, { id: a.id, n: 'A' }, tokens.admin());
    const events = await all.waitFor(3);
    expect(events.map((e) => e.customerChanged)).toEqual([
      { type: 'CUSTOMER_CREATED', customerId: a.id },
      { type: 'CUSTOMER_CREATED', customerId: b.id },
      { type: 'CUSTOMER_UPDATED', customerId: a.id },
    ]);
  });

  it('joins the demo orders subgraph inside each event: customerChanged { customer { orders } } (@requires email)', async () => {
    const c = await createCustomer(customer);
    orders.store.place({ customerId: c.id, amount: '12.50' });
    await published(customer);
    const sub = await subscribe(
      client(tokens.admin()),
      'subscription($id: ID) { customerChanged(customerId: $id) { customer { email orders { total { amount } } } } }',
      { id: c.id },
    );
    await customer.gql(RENAME, { id: c.id, n: 'Joined' }, tokens.admin());
    expect(await sub.waitFor(1)).toEqual([{ customerChanged: { customer: { email: c.email, orders: [{ total: { amount: '12.50' } }] } } }]);
    expect(sub.errors).toEqual([]);
  });

  it('auditEventRecorded (ADMIN): the audit row of each change, filtered by customer and type', async () => {
    const c = await createCustomer(customer);
    await published(customer);
    const sub = await subscribe(
      client(tokens.admin()),
      'subscription($f: AuditEventFilter) { auditEventRecorded(filter: $f) { eventType customerId newValues actorId } }',
      { f: { customerId: c.id, eventTypes: ['customer.profile.update'] } },
    );
    await customer.gql(RENAME, { id: c.id, n: 'Audited' }, tokens.admin('staff-7'));
    const [event] = await sub.waitFor(1);
    expect(event.auditEventRecorded).toMatchObject({ eventType: 'customer.profile.update', customerId: c.id, actorId: 'staff-7' });
    expect(event.auditEventRecorded.newValues).toMatchObject({ firstName: 'Audited' });
  });

  it('segmentMembershipChanged (ADMIN): a customer who comes to match a segment joins it', async () => {
    const domain = `seg${Date.now().toString(36)}.test`;
    const created = await customer.gql(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: { name: `gw-${domain}`, rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: domain }] } },
      tokens.admin(),
    );
    const segmentId = created.data!.createSegment.id;
    const sub = await subscribe(client(tokens.admin()), 'subscription($s: ID) { segmentMembershipChanged(segmentId: $s) { segmentId customerId joined } }', {
      s: segmentId,
    });
    const c = await createCustomer(customer);
    await customer.gql(
      'mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }',
      { id: c.id, e: `member@${domain}` },
      tokens.admin(),
    );
    expect(await sub.waitFor(1)).toEqual([{ segmentMembershipChanged: { segmentId, customerId: c.id, joined: true } }]);
  });

  it("refuses another customer's changes with FORBIDDEN, and a customer the ADMIN feeds", async () => {
    const ann = await createCustomer(customer);
    const bob = await createCustomer(customer);
    const other = await subscribe(client(tokens.customer(bob.id)), CHANGED, { id: ann.id });
    expect((await firstError(other, 2000)).extensions?.code).toBe('FORBIDDEN');
    const audit = await subscribe(client(tokens.customer(bob.id)), 'subscription { auditEventRecorded { id } }');
    expect((await firstError(audit, 2000)).extensions?.code).toBe('FORBIDDEN');
    expect(other.events).toEqual([]);
  });

  it('refuses a subscription without a token with UNAUTHENTICATED', async () => {
    const sub = await subscribe(client(), CHANGED, {});
    expect((await firstError(sub, 2000)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a token signed with another key', () => jwt.sign({ sub: 'admin', role: 'ADMIN' }, 'another-secret-another-secret-0123456789', { expiresIn: '1h' })],
    ['an expired token', () => jwt.sign({ sub: 'admin', role: 'ADMIN', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET)],
    ['a token that is not a JWT', () => 'not-a-jwt'],
  ])('answers %s with a clear UNAUTHENTICATED error within 2 s, not a silent retry loop', async (_name, token) => {
    const sub = await subscribe(client(token()), CHANGED, {});
    const error = await firstError(sub, 2000);
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/token/i);
  });

  it('carries an Authorization header too: a subscription over SSE (no WebSocket) with the token in the header', async () => {
    const c = await createCustomer(customer);
    await published(customer);
    const abort = new AbortController();
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tokens.customer(c.id)}` },
      body: JSON.stringify({ query: CHANGED, variables: { id: c.id } }),
      signal: abort.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    // Give the gateway a moment to open its subscription to the subgraph before the change.
    await new Promise((r) => setTimeout(r, 300));
    await customer.gql(RENAME, { id: c.id, n: 'Streamed' }, tokens.admin());
    while (!text.includes('Streamed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    const data = text.split('\n').find((line) => line.startsWith('data:') && line.includes('Streamed'));
    expect(JSON.parse(data!.slice(5))).toEqual({
      data: { customerChanged: { type: 'CUSTOMER_UPDATED', customerId: c.id, customer: { id: c.id, firstName: 'Streamed' } } },
    });
  });
});

describe("what Apollo Router's passthrough mode sends the subgraph: connection_init { token: <Authorization header> }", () => {
  let customer: TestServer;
  beforeAll(async () => {
    customer = await startTestServer();
  });
  afterAll(async () => {
    await customer?.close();
  });

  const routerLike = (authorizationHeader: string) =>
    createClient({
      url: customer.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { token: authorizationHeader },
      retryAttempts: 0,
      lazy: true,
    });

  it('authenticates with the token there: an ADMIN feed receives a change', async () => {
    const c = await createCustomer(customer);
    await published(customer);
    const client = routerLike(`Bearer ${tokens.admin()}`);
    try {
      const sub = await subscribe(client, CHANGED, { id: c.id });
      await customer.gql(RENAME, { id: c.id, n: 'ViaRouter' }, tokens.admin());
      expect(await sub.waitFor(1)).toEqual([
        { customerChanged: { type: 'CUSTOMER_UPDATED', customerId: c.id, customer: { id: c.id, firstName: 'ViaRouter' } } },
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('refuses a bad one there like any other: 4401 at once', async () => {
    const client = routerLike('Bearer not-a-jwt');
    try {
      const sub = await subscribe(client, CHANGED, {});
      expect(await firstError(sub, 2000)).toMatchObject({ code: 4401 });
    } finally {
      await client.dispose();
    }
  });
});

describe('ending a subscription through the gateway ends it on the subgraph', () => {
  let customer: TestServer;
  let orders: OrdersSubgraph;
  let gateway: Gateway;
  const lines: { transport?: string; fields?: string[]; events?: number }[] = [];
  /** The subgraph's log line for each graphql-ws operation that ended (src/observability/operations.ts). */
  const ended = () => lines.filter((l) => l.transport === 'websocket' && l.fields?.includes('customerChanged'));

  async function waitForEnded(n: number): Promise<void> {
    const deadline = Date.now() + 2000;
    while (ended().length < n) {
      if (Date.now() > deadline) throw new Error(`${ended().length} of ${n} subgraph subscriptions ended`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    customer = await startTestServer({ CUSTOMER_LOG_LEVEL: 'info' }, { log: (line) => lines.push(JSON.parse(line)) });
    orders = await startOrdersSubgraph({ port: 0, host: '127.0.0.1' });
    gateway = await startGateway({ subgraphs: { customer: customer.url, orders: orders.url }, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await customer?.close();
  });

  it('when the client unsubscribes, and when it goes away, on a feed where nothing happens', async () => {
    const ws = wsClient(gateway.url, tokens.admin());
    try {
      const first = await subscribe(ws, 'subscription { customerChanged { type } }');
      expect(ended()).toEqual([]);
      first.close();
      await waitForEnded(1);
      await subscribe(ws, 'subscription { customerChanged { type } }');
      await new Promise((r) => setTimeout(r, 200));
      expect(ended()).toHaveLength(1);
    } finally {
      await ws.dispose();
    }
    await waitForEnded(2);
  });
});
