import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { runMigrations } from '../src/db/migrate';
import { PostgresDatabase } from '../src/db/postgres';
import { OrderEventsConsumer } from '../src/modules/statistics/order-events.consumer';
import { createLogger } from '../src/observability/logger';
import { ensureBuilt, ROOT } from './helpers/process';
import { TcpProxy } from './helpers/tcp-proxy';
import {
  createCustomer,
  createTestDatabase,
  dsnFor,
  PG_ADMIN_URL,
  postGraphql,
  redisEnv,
  REDIS_ADDR,
  startTestServer,
  TEST_JWT_SECRET,
  TestServer,
  tokens,
} from './helpers/server';

const env = redisEnv();
const NS = env.CUSTOMER_EVENTS_NAMESPACE;
const STREAM = `${NS}order.events`;
const DEAD_LETTER = `${NS}order.events.dead-letter`;
const GROUP = 'customer-subgraph';
let server: TestServer;
let redis: Redis;
let consumer: OrderEventsConsumer;

beforeAll(async () => {
  server = await startTestServer(env);
  const [host, port] = REDIS_ADDR.split(':');
  redis = new Redis({ host, port: Number(port) });
  consumer = server.app.orderEvents!;
});
afterAll(async () => {
  await server.close();
  await redis.del(STREAM, DEAD_LETTER);
  redis.disconnect();
});

type OrderData = { orderId: string; customerId: string; amount: unknown; currency?: string; occurredAt?: string };

/** A CloudEvent as the order service writes it (README "Order events"). */
function orderEvent(type: string, data: OrderData, time = '2026-11-28T10:00:00Z'): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:ecommerce:order-service',
    type,
    time,
    datacontenttype: 'application/json',
    data: { currency: 'USD', ...data },
  };
}

async function publish(...events: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of events) ids.push((await redis.xadd(STREAM, '*', 'type', String(e.type), 'event', JSON.stringify(e)))!);
  return ids;
}

const STATISTICS = `query($id: ID!) { customer(id: $id) { statistics {
  totalOrders totalSpent { amount currencyCode } averageOrderValue { amount currencyCode } firstOrderAt lastOrderAt
} } }`;

async function statistics(customerId: string, token = tokens.admin()) {
  const res = await server.gql(STATISTICS, { id: customerId }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.customer.statistics;
}

async function deadLetters(): Promise<Record<string, string>[]> {
  return (await redis.xrange(DEAD_LETTER, '-', '+')).map(([, f]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) o[f[i]] = f[i + 1];
    return o;
  });
}

const order = () => `ord-${randomUUID().slice(0, 8)}`;

describe('Customer.statistics', () => {
  it('answers zeros in the shop currency for a customer with no orders, to the customer and to SERVICE', async () => {
    const c = await createCustomer(server);
    const zeros = {
      totalOrders: 0,
      totalSpent: { amount: '0.00', currencyCode: 'USD' },
      averageOrderValue: { amount: '0.00', currencyCode: 'USD' },
      firstOrderAt: null,
      lastOrderAt: null,
    };
    expect(await statistics(c.id, tokens.customer(c.id))).toEqual(zeros);
    expect(await statistics(c.id, tokens.service())).toEqual(zeros);
    const other = await createCustomer(server);
    const res = await server.gql(STATISTICS, { id: c.id }, tokens.customer(other.id));
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('order events', () => {
  it('adds completed orders exactly: totals, average (half away from zero), first and last order time', async () => {
    const c = await createCustomer(server);
    await publish(
      orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '0.10' }, '2026-03-01T12:00:00Z'),
      orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '0.20' }, '2026-01-15T08:30:00Z'),
    );
    await consumer.idle();
    expect(await statistics(c.id)).toEqual({
      totalOrders: 2,
      totalSpent: { amount: '0.30', currencyCode: 'USD' }, // 0.1 + 0.2 in floats is 0.30000000000000004
      averageOrderValue: { amount: '0.15', currencyCode: 'USD' },
      firstOrderAt: '2026-01-15T08:30:00.000Z',
      lastOrderAt: '2026-03-01T12:00:00.000Z',
    });

    // 10.00 + 0.01 = 10.01, average 5.005 -> 5.01 (a float's toFixed(2) gives 5.00)
    const d = await createCustomer(server);
    await publish(
      orderEvent('order.completed', { orderId: order(), customerId: d.id, amount: '10' }, '2026-02-10T00:00:00+02:00'),
      orderEvent('order.completed', { orderId: order(), customerId: d.id, amount: '0.01' }),
    );
    await consumer.idle();
    const s = await statistics(d.id);
    expect([s.totalSpent.amount, s.averageOrderValue.amount, s.firstOrderAt]).toEqual(['10.01', '5.01', '2026-02-09T22:00:00.000Z']);

    // up to the column's limit without losing a cent
    const big = await createCustomer(server);
    await publish(
      orderEvent('order.completed', { orderId: order(), customerId: big.id, amount: '999999999990.97' }),
      orderEvent('order.completed', { orderId: order(), customerId: big.id, amount: '9.01' }),
      orderEvent('order.completed', { orderId: order(), customerId: big.id, amount: '0.01' }),
    );
    await consumer.idle();
    const b = await statistics(big.id);
    expect([b.totalOrders, b.totalSpent.amount, b.averageOrderValue.amount]).toEqual([3, '999999999999.99', '333333333333.33']);
  });

  it('nets refunds (cumulative per order, in any order, never below zero) without changing the order count', async () => {
    const c = await createCustomer(server);
    const [a, b, early] = [order(), order(), order()];
    await publish(
      orderEvent('order.completed', { orderId: a, customerId: c.id, amount: '100.00' }),
      orderEvent('order.completed', { orderId: b, customerId: c.id, amount: '50.00' }),
      orderEvent('order.refunded', { orderId: a, customerId: c.id, amount: '10.00' }), // partial
      orderEvent('order.refunded', { orderId: a, customerId: c.id, amount: '25.50' }), // total refunded so far: 15.50 more
      orderEvent('order.refunded', { orderId: a, customerId: c.id, amount: '10.00' }), // stale (lower total): nothing
      orderEvent('order.refunded', { orderId: b, customerId: c.id, amount: '80.00' }), // beyond the order: a full refund
      orderEvent('order.refunded', { orderId: early, customerId: c.id, amount: '5.00' }), // before its completion
    );
    await consumer.idle();
    let s = await statistics(c.id);
    expect([s.totalOrders, s.totalSpent.amount, s.averageOrderValue.amount]).toEqual([2, '74.50', '37.25']);

    await publish(orderEvent('order.completed', { orderId: early, customerId: c.id, amount: '20.00' }));
    await consumer.idle();
    s = await statistics(c.id);
    expect([s.totalOrders, s.totalSpent.amount, s.averageOrderValue.amount]).toEqual([3, '89.50', '29.83']);
    expect(await deadLetters()).toEqual([]);

    // a statistics change is announced on customer.events: ids and field names, no amounts
    const events = await server.db.query<{ payload: any }>(
      "SELECT payload FROM outbox_events WHERE customer_id = $1 AND type = 'customer.statistics_updated' ORDER BY seq",
      [c.id],
    );
    expect(events).toHaveLength(6); // 3 completions, refunds of a (twice) and b; not the stale one or the early one
    expect(events[0].payload.data).toMatchObject({ customerId: c.id, orderId: a, orderEventType: 'order.completed' });
    expect(JSON.stringify(events.map((e) => e.payload))).not.toMatch(/100\.00|74\.50/);
  });

  it('changes nothing when the stream is replayed', async () => {
    const c = await createCustomer(server);
    const [a, b] = [order(), order()];
    const events = [
      orderEvent('order.completed', { orderId: a, customerId: c.id, amount: '19.99' }, '2026-05-01T00:00:00Z'),
      orderEvent('order.completed', { orderId: b, customerId: c.id, amount: '5.01' }, '2026-05-02T00:00:00Z'),
      orderEvent('order.refunded', { orderId: b, customerId: c.id, amount: '1.00' }),
    ];
    await publish(...events);
    await consumer.idle();
    const before = await statistics(c.id);
    const ledger = () => server.db.query('SELECT * FROM customer_order_ledger WHERE customer_id = $1 ORDER BY order_id, kind', [c.id]);
    const ledgerBefore = await ledger();
    const duplicates = consumer.counters.duplicate;

    await publish(...events, ...events); // the same events, re-sent twice
    await consumer.idle();
    expect(await statistics(c.id)).toEqual(before);
    expect(before).toMatchObject({ totalOrders: 2, totalSpent: { amount: '24.00' } });
    expect(await ledger()).toEqual(ledgerBefore);
    expect(consumer.counters.duplicate - duplicates).toBe(6);
    expect(await deadLetters()).toEqual([]);
  });

  it('moves malformed events to the dead-letter stream with a reason, and goes on with the next ones', async () => {
    const c = await createCustomer(server);
    const good = order();
    const taken = order();
    const unknownCustomer = randomUUID();
    const ids = await publish(orderEvent('order.completed', { orderId: taken, customerId: c.id, amount: '7.00' }));
    const bad: [string, string][] = [];
    const add = async (reason: string, ...fields: string[]) => bad.push([reason, (await redis.xadd(STREAM, '*', ...fields))!]);
    await add('malformed', 'event', '{not json');
    await add('malformed', 'payload', '{}');
    await add('malformed', 'event', JSON.stringify({ specversion: '0.3', id: 'x', source: 's', type: 'order.completed' }));
    await add('invalid_data', 'event', JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: 12.5 })));
    await add('invalid_data', 'event', JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '1.999' })));
    await add('invalid_data', 'event', JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: 'nobody', amount: '1.00' })));
    await add('invalid_data', 'event', JSON.stringify(orderEvent('order.completed', { orderId: '', customerId: c.id, amount: '1.00' })));
    await add('invalid_data', 'event', JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '1.00' }, 'yesterday')));
    await add(
      'currency_mismatch',
      'event',
      JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '1.00', currency: 'EUR' })),
    );
    await add('unknown_customer', 'event', JSON.stringify(orderEvent('order.completed', { orderId: order(), customerId: unknownCustomer, amount: '1.00' })));
    await add('order_conflict', 'event', JSON.stringify(orderEvent('order.completed', { orderId: taken, customerId: c.id, amount: '8.00' })));
    // other order events share the stream: acknowledged and skipped, not dead-lettered
    const ignored = consumer.counters.ignored;
    await publish(orderEvent('order.shipped', { orderId: good, customerId: c.id, amount: '1.00' }));
    ids.push(...(await publish(orderEvent('order.completed', { orderId: good, customerId: c.id, amount: '3.00', currency: 'usd' }))));
    await consumer.idle();

    expect((await statistics(c.id)).totalSpent.amount).toBe('10.00');
    expect(consumer.counters.ignored - ignored).toBe(1);
    const dead = await deadLetters();
    expect(dead.map((d) => [d.reason, d.sourceId])).toEqual(bad);
    expect(dead[0]).toMatchObject({ event: '{not json', reason: 'malformed', detail: '"event" is not valid JSON' });
    expect(dead[3].detail).toMatch(/data\.amount .*decimal string/);
    expect(dead[9].detail).toContain(unknownCustomer);
    expect(await redis.xpending(STREAM, GROUP)).toEqual([0, null, null, null]);
    await redis.del(DEAD_LETTER);
  });

  it("re-scores the customer's segments in the transaction that changes their statistics", async () => {
    const c = await createCustomer(server);
    const created = await server.gql(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: { name: `big-spenders-${randomUUID().slice(0, 6)}`, rules: [{ field: 'TOTAL_SPENT', operator: 'GTE', value: '100.00' }] } },
      tokens.admin(),
    );
    expect(created.errors).toBeUndefined();
    const segmentId = created.data!.createSegment.id;
    const segmentsOf = async () =>
      (await server.gql('query($id: ID!) { customer(id: $id) { segments { id } } }', { id: c.id }, tokens.admin())).data!.customer.segments.map(
        (x: { id: string }) => x.id,
      );
    try {
      const o = order();
      await publish(orderEvent('order.completed', { orderId: o, customerId: c.id, amount: '60.00' }));
      await consumer.idle();
      expect(await segmentsOf()).not.toContain(segmentId);
      await publish(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '40.00' }));
      await consumer.idle();
      expect(await segmentsOf()).toContain(segmentId); // no refresh ran: the order event re-scored them
      await publish(orderEvent('order.refunded', { orderId: o, customerId: c.id, amount: '0.01' }));
      await consumer.idle();
      expect(await segmentsOf()).not.toContain(segmentId);
    } finally {
      await server.gql('mutation($id: ID!) { deleteSegment(id: $id) }', { id: segmentId }, tokens.admin());
    }
  });

  it('takes over entries a dead replica left pending (XAUTOCLAIM)', async () => {
    const c = await createCustomer(server);
    await consumer.stop();
    const rescuer = new OrderEventsConsumer(consumer.deps, { claimIdleMs: 200, claimIntervalMs: 100 });
    try {
      await publish(orderEvent('order.completed', { orderId: order(), customerId: c.id, amount: '42.00' }));
      // a replica reads the entry and dies before applying it
      const taken = (await redis.xreadgroup('GROUP', GROUP, 'dead-replica', 'COUNT', 10, 'STREAMS', STREAM, '>')) as [string, unknown[]][];
      expect(taken[0][1]).toHaveLength(1);
      expect((await redis.xpending(STREAM, GROUP))[0]).toBe(1);
      rescuer.start();
      await rescuer.idle();
      expect((await statistics(c.id)).totalSpent.amount).toBe('42.00');
      expect(rescuer.counters.applied).toBe(1);
    } finally {
      await rescuer.stop();
      consumer.start();
    }
  });

  it('answers Customer.statistics for a page of 100 customers in as many statements as for 10', async () => {
    const rows = await server.db.query<{ id: string }>(
      `INSERT INTO customers (email, first_name, group_id)
       SELECT 'stats' || i || '@example.com', 'S' || i, (SELECT id FROM customer_groups WHERE is_default)
         FROM generate_series(1, 120) AS i RETURNING id`,
    );
    await server.db.query(
      `INSERT INTO customer_statistics (customer_id, total_orders, total_spent, currency_code, first_order_at, last_order_at)
       SELECT id, 3, 100.00, 'USD', now(), now() FROM unnest($1::uuid[]) AS id`,
      [rows.slice(0, 60).map((r) => r.id)], // and 60 without a row: zeros
    );
    await consumer.idle();
    const page = (withStatistics: boolean) =>
      `query($first: Int) { customers(first: $first) { nodes { id ${withStatistics ? 'statistics { totalOrders totalSpent { amount } averageOrderValue { amount currencyCode } lastOrderAt }' : ''} } } }`;
    const count = async (first: number, withStatistics: boolean) => {
      let res: any;
      const n = await server.countStatements(async () => {
        res = await server.gql(page(withStatistics), { first }, tokens.admin());
      });
      expect(res.errors).toBeUndefined();
      expect(res.data.customers.nodes).toHaveLength(first);
      return { n, nodes: res.data.customers.nodes };
    };
    const small = await count(10, true);
    const large = await count(100, true);
    const without = await count(100, false);
    expect(large.n).toBe(small.n);
    expect(large.n).toBe(without.n + 1); // the page, plus one statement for every customer's statistics
    const seeded = new Set(rows.slice(0, 60).map((r) => r.id));
    const withRow = large.nodes.filter((n: any) => seeded.has(n.id));
    expect(withRow.length).toBeGreaterThan(0); // newest first: the page is mostly these customers
    for (const n of withRow) {
      expect(n.statistics).toEqual({
        totalOrders: 3,
        totalSpent: { amount: '100.00' },
        averageOrderValue: { amount: '33.33', currencyCode: 'USD' },
        lastOrderAt: expect.any(String),
      });
    }
    const zero = large.nodes.find((n: any) => !seeded.has(n.id) && rows.some((r) => r.id === n.id));
    expect(zero?.statistics).toEqual({
      totalOrders: 0,
      totalSpent: { amount: '0.00' },
      averageOrderValue: { amount: '0.00', currencyCode: 'USD' },
      lastOrderAt: null,
    });
  });
});

describe('database outage', () => {
  it('leaves entries pending (never dead-lettered) while PostgreSQL is unreachable and applies them once it returns', async () => {
    const database = await createTestDatabase();
    const proxy = new TcpProxy(Number(new URL(database.dsn).port || 5432));
    const proxyPort = await proxy.start();
    const viaProxy = new URL(PG_ADMIN_URL);
    viaProxy.port = String(proxyPort);
    const dsn = dsnFor(database.name, viaProxy.toString());
    const outageEnv = redisEnv();
    const stream = `${outageEnv.CUSTOMER_EVENTS_NAMESPACE}order.events`;
    const deadLetter = `${outageEnv.CUSTOMER_EVENTS_NAMESPACE}order.events.dead-letter`;
    const config = loadConfig({ CUSTOMER_DATABASE_DSN: dsn, CUSTOMER_JWT_SECRET: TEST_JWT_SECRET, CUSTOMER_LOG_LEVEL: 'silent', ...outageEnv });
    const db = await PostgresDatabase.connect(dsn, 4);
    await runMigrations(db);
    const app = await createApp(config, db, createLogger('silent'));
    const base = `http://127.0.0.1:${await app.listen(0)}/graphql`;
    const direct = await PostgresDatabase.connect(database.dsn, 2);
    const events = app.orderEvents!;
    const xadd = (e: Record<string, unknown>) => redis.xadd(stream, '*', 'event', JSON.stringify(e));
    try {
      const created = await postGraphql(base, 'mutation { createCustomer(input: { email: "outage@example.com" }) { id } }', {}, tokens.admin());
      const customerId = created.data!.createCustomer.id as string;
      await xadd(orderEvent('order.completed', { orderId: 'o-1', customerId, amount: '10.00' }));
      await events.idle();

      await proxy.cut();
      const outages = events.counters.outages;
      await xadd(orderEvent('order.completed', { orderId: 'o-2', customerId, amount: '2.50' }));
      // delivered, attempted (twice: it retries) and still pending: acknowledged only after a commit
      const deadline = Date.now() + 15000;
      while (events.counters.outages < outages + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(events.counters.outages).toBeGreaterThanOrEqual(outages + 2);
      const [pending, , , consumers] = (await redis.xpending(stream, GROUP)) as [number, string, string, [string, string][]];
      expect(pending).toBe(1);
      expect(consumers).toEqual([[events.consumer, '1']]);
      expect(await redis.xlen(deadLetter)).toBe(0);
      expect(await direct.query("SELECT order_id FROM customer_order_ledger WHERE order_id = 'o-2'")).toEqual([]);

      await proxy.start(proxyPort);
      await events.idle(30000);
      const [stats] = await direct.query<{ total_orders: number; total_spent: string }>(
        'SELECT total_orders, total_spent::text AS total_spent FROM customer_statistics WHERE customer_id = $1',
        [customerId],
      );
      expect(stats).toEqual({ total_orders: 2, total_spent: '12.50' });
      expect(await redis.xlen(deadLetter)).toBe(0);
    } finally {
      await app.close();
      await db.close();
      await direct.close();
      await proxy.cut();
      await database.drop();
      await redis.del(stream, deadLetter);
    }
  });
});

describe('embedded PGlite', () => {
  // PGlite is an ES module Jest cannot load: the check runs the built code in a child process
  // (`npm test` builds first), as test/embedded.test.ts does.
  it('reads amounts as exact decimal strings there too', () => {
    ensureBuilt();
    if (!fs.existsSync(path.join(ROOT, 'dist/src/modules/statistics/statistics.loader.js'))) {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    }
    const script = `
      require('reflect-metadata');
      const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
      const { EmbeddedDatabase } = require('./dist/src/db/embedded');
      const { runMigrations } = require('./dist/src/db/migrate');
      const { statisticsByCustomerLoader } = require('./dist/src/modules/statistics/statistics.loader');
      (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'customer-stats-'));
        const db = await EmbeddedDatabase.open(path.join(dir, 'pglite'));
        try {
          await runMigrations(db);
          const [c] = await db.query("INSERT INTO customers (email, group_id) VALUES ('pglite@example.com', (SELECT id FROM customer_groups WHERE is_default)) RETURNING id");
          await db.query("INSERT INTO customer_statistics (customer_id, total_orders, total_spent, currency_code) VALUES ($1, 3, 0.30, 'USD')", [c.id]);
          const rows = await statisticsByCustomerLoader(db).loadMany([c.id, '${randomUUID()}']);
          process.stdout.write(JSON.stringify(rows.map((r) => r && { ...r, customerId: r.customerId === c.id })));
        } finally {
          await db.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    expect(JSON.parse(out)).toEqual([
      { customerId: true, totalOrders: 3, totalSpent: '0.30', averageOrderValue: '0.10', currencyCode: 'USD', firstOrderAt: null, lastOrderAt: null },
      null,
    ]);
  });
});
