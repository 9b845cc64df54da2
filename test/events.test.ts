import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import jwt from 'jsonwebtoken';
import type { Transaction } from '../src/db/database';
import { EventPublisher, OutboxRow } from '../src/events/publisher';
import { OutboxRelay } from '../src/events/relay';
import { TcpProxy } from './helpers/tcp-proxy';
import { createCustomer, postGraphql, redisEnv, REDIS_ADDR, startReplica, startTestServer, TEST_JWT_SECRET, TestServer, tokens } from './helpers/server';
import { readStream } from './helpers/stream';
import { subscribe, wsClient } from './helpers/ws';

const env = redisEnv();
const STREAM = `${env.CUSTOMER_EVENTS_NAMESPACE}customer.events`;
let server: TestServer;
let redis: Redis;

beforeAll(async () => {
  server = await startTestServer(env);
  const [host, port] = REDIS_ADDR.split(':');
  redis = new Redis({ host, port: Number(port) });
});
afterAll(async () => {
  await server.close();
  await redis.del(STREAM);
  redis.disconnect();
});

const UPDATE = 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the relay has published everything committed so far. */
async function settled(): Promise<void> {
  await until(
    () => server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE status = 'PENDING'"),
    ([r]) => r.n === 0,
  );
}

describe('audit trail', () => {
  it('hides from the customer who else (an ADMIN, a service) changed their account, from where, in which session and trace; ADMIN sees it', async () => {
    const c = await createCustomer(server);
    const staffTrace = '0af7651916cd43dd8448eb211c80319c';
    const ownTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await server.gql(UPDATE, { id: c.id, input: { firstName: 'ByStaff' } }, tokens.admin('jane.admin'), {
      'user-agent': 'AdminDashboard/2.1 (WS-4411)',
      traceparent: `00-${staffTrace}-b7ad6b7169203331-01`,
    });
    await server.gql(UPDATE, { id: c.id, input: { lastName: 'BySelf' } }, tokens.customer(c.id), {
      'user-agent': 'Shop/1.0',
      traceparent: `00-${ownTrace}-b7ad6b7169203331-01`,
    });
    const READ = `query($id: ID!) { customer(id: $id) { auditTrail {
      nodes { eventType newValues actorId ipAddress userAgent sessionId traceId } edges { node { actorId ipAddress userAgent traceId } } } } }`;

    const own = await server.gql(READ, { id: c.id }, tokens.customer(c.id));
    expect(own.errors).toBeUndefined();
    const trail = own.data!.customer.auditTrail;
    const byStaff = trail.nodes.find((n: any) => n.newValues?.firstName === 'ByStaff');
    const bySelf = trail.nodes.find((n: any) => n.newValues?.lastName === 'BySelf');
    // That it happened, and what changed, is the customer's; who did it, and from where, is not.
    // The trace of the staff request leads to its logs and spans: the staff's too.
    expect(byStaff).toMatchObject({ eventType: 'customer.profile.update', actorId: null, ipAddress: null, userAgent: null, sessionId: null, traceId: null });
    expect(bySelf).toMatchObject({ actorId: c.id, userAgent: 'Shop/1.0', traceId: ownTrace });
    expect(bySelf.ipAddress).toEqual(expect.any(String));
    expect(JSON.stringify(trail)).not.toMatch(new RegExp(`jane\\.admin|AdminDashboard|admin-user|${staffTrace}`));

    const staff = await server.gql(READ, { id: c.id }, tokens.admin());
    const seenByAdmin = staff.data!.customer.auditTrail.nodes.find((n: any) => n.newValues?.firstName === 'ByStaff');
    expect(seenByAdmin).toMatchObject({ actorId: 'jane.admin', userAgent: 'AdminDashboard/2.1 (WS-4411)', traceId: staffTrace });
    expect(seenByAdmin.ipAddress).toEqual(expect.any(String));
  });

  it('records only the changed fields, with actor, IP, user agent and trace id, in the same transaction', async () => {
    const c = await createCustomer(server, { firstName: 'Ann', lastName: 'Lee' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await server.gql(UPDATE, { id: c.id, input: { firstName: 'Anna', lastName: 'Lee' } }, tokens.customer(c.id), {
      'x-forwarded-for': '198.51.100.23',
      'user-agent': 'jest-agent/1.0',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const rows = await server.db.query<any>(
      `SELECT event_type, operation, old_values, new_values, actor_id, host(ip_address) AS ip, user_agent, trace_id, severity
         FROM audit_events WHERE customer_id = $1 ORDER BY created_at`,
      [c.id],
    );
    expect(rows.map((r) => r.event_type)).toEqual(['customer.profile.create', 'customer.profile.update']);
    expect(rows[1]).toMatchObject({
      operation: 'update',
      old_values: { firstName: 'Ann' },
      new_values: { firstName: 'Anna' },
      actor_id: c.id,
      ip: '198.51.100.23',
      user_agent: 'jest-agent/1.0',
      trace_id: traceId,
      severity: 'INFO',
    });
  });

  it('writes nothing, neither audit row nor event, when the mutation fails', async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    const before = await server.db.query<{ n: number }>('SELECT (SELECT count(*) FROM audit_events)::int + (SELECT count(*) FROM outbox_events)::int AS n');
    const res = await server.gql(UPDATE, { id: a.id, input: { email: b.email } }, tokens.admin());
    expect(res.errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
    const after = await server.db.query<{ n: number }>('SELECT (SELECT count(*) FROM audit_events)::int + (SELECT count(*) FROM outbox_events)::int AS n');
    expect(after[0].n).toBe(before[0].n);
  });

  it('audits address default changes as customer.address.default_changed', async () => {
    const c = await createCustomer(server);
    const create = 'mutation($c: ID!, $i: AddressInput!) { createAddress(customerId: $c, input: $i) { id } }';
    const input = (n: number) => ({ addressLine1: `${n} Road`, city: 'Berlin', postalCode: '10115', countryCode: 'DE' });
    await server.gql(create, { c: c.id, i: input(1) }, tokens.admin());
    await server.gql(create, { c: c.id, i: { ...input(2), isDefault: true } }, tokens.admin());
    const types = await server.db.query<{ event_type: string }>('SELECT event_type FROM audit_events WHERE customer_id = $1 ORDER BY created_at, event_type', [
      c.id,
    ]);
    expect(types.map((t) => t.event_type)).toEqual([
      'customer.profile.create',
      'customer.address.create',
      'customer.address.default_changed',
      'customer.address.create',
      'customer.address.default_changed',
    ]);
  });
});

describe('outbox to the Redis stream', () => {
  it('publishes each committed change as a CloudEvent and marks the row sent', async () => {
    const c = await createCustomer(server);
    await server.gql(UPDATE, { id: c.id, input: { lastName: 'Streamed' } }, tokens.admin());
    const events = await until(
      () => readStream(redis, STREAM),
      (es) => es.some((e) => e.subject === c.id && e.type === 'customer.updated'),
    );
    const mine = events.filter((e) => e.subject === c.id);
    expect(mine.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
    const updated = mine[1].event;
    expect(updated).toMatchObject({ specversion: '1.0', type: 'customer.updated', subject: c.id, data: { changedFields: ['lastName'] } });
    expect(JSON.stringify(updated)).not.toContain('Streamed'); // ids and field names, never personal values
    const rows = await until(
      () => server.db.query<{ status: string }>("SELECT status FROM outbox_events WHERE customer_id = $1 AND type <> 'audit.recorded'", [c.id]),
      (r) => r.every((x) => x.status === 'SENT'),
    );
    expect(rows.map((r) => r.status)).toEqual(['SENT', 'SENT']);
  });
});

describe('subscriptions over graphql-ws', () => {
  const CHANGED = 'subscription($id: ID) { customerChanged(customerId: $id) { eventId type customerId occurredAt customer { id lastName } } }';

  it('delivers a customer their own committed changes, with the outbox event id', async () => {
    const c = await createCustomer(server);
    await settled();
    const client = wsClient(server.url, tokens.customer(c.id));
    const sub = await subscribe(client, CHANGED);
    try {
      await server.gql(UPDATE, { id: c.id, input: { lastName: 'Live' } }, tokens.customer(c.id));
      const [event] = (await sub.waitFor(1)) as any[];
      expect(event.customerChanged).toMatchObject({ type: 'CUSTOMER_UPDATED', customerId: c.id, customer: { id: c.id, lastName: 'Live' } });
      const [row] = await server.db.query<{ id: string }>("SELECT id FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated'", [c.id]);
      expect(event.customerChanged.eventId).toBe(row.id);
    } finally {
      sub.close();
      await client.dispose();
    }
  });

  it('lets go of the pub/sub topic as soon as a subscription ends, on a quiet topic too', async () => {
    const channel = `${env.CUSTOMER_EVENTS_NAMESPACE}customer-subgraph.segment-membership`;
    const listeners = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, string])[1]);
    expect(await listeners()).toBe(0);
    const client = wsClient(server.url, tokens.admin());
    try {
      const sub = await subscribe(client, 'subscription { segmentMembershipChanged { customerId } }');
      expect(await listeners()).toBe(1);
      // No event arrives on this topic: closing must not wait for one.
      sub.close();
      const gone = await until(listeners, (n) => n === 0, 3000);
      expect(gone).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  it("refuses another customer's changes, the audit feed to non-admins, and bad tokens", async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    const client = wsClient(server.url, tokens.customer(a.id));
    try {
      const other = await subscribe(client, CHANGED, { id: b.id });
      await expect(other.waitFor(1, 3000)).rejects.toThrow(/FORBIDDEN|only follow your own/);
      const feed = await subscribe(client, 'subscription { auditEventRecorded { id } }');
      await expect(feed.waitFor(1, 3000)).rejects.toThrow(/ADMIN/);
    } finally {
      await client.dispose();
    }
    const bad = wsClient(server.url, 'not-a-token');
    const closed = await subscribe(bad, CHANGED);
    await expect(closed.waitFor(1, 3000)).rejects.toThrow(/4401|Unauthorized/);
    await bad.dispose();
  });

  it('streams the audit feed to ADMIN, filtered', async () => {
    const c = await createCustomer(server);
    await settled();
    const client = wsClient(server.url, tokens.admin());
    const sub = await subscribe(client, 'subscription($f: AuditEventFilter) { auditEventRecorded(filter: $f) { eventType customerId newValues } }', {
      f: { customerId: c.id, eventTypePrefix: 'customer.preferences.' },
    });
    try {
      await server.gql(UPDATE, { id: c.id, input: { lastName: 'Ignored' } }, tokens.admin());
      await server.gql('mutation($id: ID!) { updatePreferences(customerId: $id, input: { newsletter: true }) { newsletter } }', { id: c.id }, tokens.admin());
      const [event] = (await sub.waitFor(1)) as any[];
      expect(event.auditEventRecorded).toEqual({ eventType: 'customer.preferences.update', customerId: c.id, newValues: { newsletter: true } });
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.events).toHaveLength(1);
    } finally {
      sub.close();
      await client.dispose();
    }
  });
});

describe('a subscription outlives no token', () => {
  it('graphql-ws closes the socket (4403) when its token expires, and nothing more arrives on it', async () => {
    const c = await createCustomer(server);
    await settled();
    // Expires within 1 s, plus the 2 s of clock tolerance every token gets.
    const shortLived = jwt.sign({ sub: 'admin-user', role: 'ADMIN', exp: Math.floor(Date.now() / 1000) + 1 }, TEST_JWT_SECRET);
    const client = wsClient(server.url, shortLived);
    const feed = await subscribe(client, 'subscription($f: AuditEventFilter) { auditEventRecorded(filter: $f) { eventType newValues } }', {
      f: { customerId: c.id },
    });
    try {
      await server.gql(UPDATE, { id: c.id, input: { lastName: 'Seen' } }, tokens.admin());
      await feed.waitFor(1);
      await until(
        async () => feed.errors.length,
        (n) => n > 0,
        5000,
      );
      expect(feed.errors).toEqual([{ code: 4403, reason: 'Forbidden: the token has expired' }]);
      await server.gql(UPDATE, { id: c.id, input: { lastName: 'Unseen' } }, tokens.admin());
      await settled();
      await new Promise((r) => setTimeout(r, 300));
      expect(feed.events).toHaveLength(1);
    } finally {
      await client.dispose();
    }
  });
});

describe('two replicas on one Postgres and one Redis', () => {
  it('delivers every change made on A to a subscriber on B exactly once, in order', async () => {
    const replica = await startReplica(server, env);
    const c = await createCustomer(server);
    await settled();
    const client = wsClient(replica.url, tokens.admin());
    const sub = await subscribe(client, 'subscription($id: ID) { customerChanged(customerId: $id) { eventId type } }', { id: c.id });
    try {
      const names = Array.from({ length: 20 }, (_, i) => `Name${i}`);
      for (const lastName of names) await server.gql(UPDATE, { id: c.id, input: { lastName } }, tokens.admin());
      const events = (await sub.waitFor(20)) as any[];
      await new Promise((r) => setTimeout(r, 500));
      expect(sub.events).toHaveLength(20);
      const ids = events.map((e) => e.customerChanged.eventId);
      expect(new Set(ids).size).toBe(20);
      const rows = await server.db.query<{ id: string }>("SELECT id FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated' ORDER BY seq", [
        c.id,
      ]);
      expect(ids).toEqual(rows.map((r) => r.id));
    } finally {
      sub.close();
      await client.dispose();
      await replica.close();
    }
  });
});

describe('redis outage', () => {
  /**
   * A replica that reaches Redis through a proxy the test can cut or stall, publishing alone
   * (the main server's relay shares the outbox and is stopped), with quick retries.
   */
  async function replicaBehindProxy(prefix: string, env: Record<string, string> = {}) {
    const [host, port] = REDIS_ADDR.split(':');
    const proxy = new TcpProxy(Number(port), host);
    const proxyPort = await proxy.start();
    const ns = `${prefix}-${process.pid}-${Date.now()}:`;
    const replica = await startReplica(server, {
      CUSTOMER_REDIS_ADDR: `127.0.0.1:${proxyPort}`,
      CUSTOMER_EVENTS_NAMESPACE: ns,
      CUSTOMER_OUTBOX_BACKOFF_MS: '100',
      CUSTOMER_OUTBOX_BACKOFF_MAX_MS: '500',
      CUSTOMER_OUTBOX_POLL_MS: '200',
      ...env,
    });
    await server.app.relay.stop();
    return {
      proxy,
      proxyPort,
      ns,
      replica,
      async close() {
        // Resumed first, so that a round still waiting on a stalled connection can end.
        proxy.resume();
        await replica.close();
        await proxy.cut();
        await redis.del(`${ns}customer.events`);
        server.app.relay.start();
      },
    };
  }

  it('keeps mutations working, holds events in the outbox for longer than their attempts allow, and delivers all of them when Redis returns', async () => {
    // Two attempts before a dead letter: an outage must not use them up.
    const { proxy, proxyPort, ns, replica: outage, close } = await replicaBehindProxy('outage', { CUSTOMER_OUTBOX_MAX_ATTEMPTS: '2' });
    try {
      const c = await createCustomer(server);
      await until(
        () => redis.xlen(`${ns}customer.events`),
        (n) => n >= 1,
      );
      await proxy.cut();
      const url = outage.url;
      for (let i = 0; i < 10; i++) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin()}` },
          body: JSON.stringify({ query: UPDATE, variables: { id: c.id, input: { lastName: `Offline${i}` } } }),
        }).then((r) => r.json() as Promise<{ errors?: unknown }>);
        expect(res.errors).toBeUndefined();
      }
      const ready = await fetch(url.replace('/graphql', '/health/ready')).then((r) => r.json());
      expect(ready).toMatchObject({ status: 'degraded', database: 'up', redis: 'down' });
      const pending = await server.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated' AND status = 'PENDING'",
        [c.id],
      );
      expect(pending[0].n).toBe(10);
      const attempts = () =>
        server.db.query<{ status: string; attempts: number }>(
          "SELECT status, attempts FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated'",
          [c.id],
        );
      // Several failed rounds (100 ms apart at this backoff), none of them counted.
      await until(
        () =>
          server.db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated' AND last_error IS NOT NULL",
            [c.id],
          ),
        ([r]) => r.n === 10,
        15000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      const tried = await attempts();
      expect(tried.every((r) => r.attempts === 0 && r.status === 'PENDING')).toBe(true);

      await proxy.start(proxyPort);
      const delivered = await until(
        async () => (await redis.xrange(`${ns}customer.events`, '-', '+')).filter(([, f]) => f.includes('customer.updated')).length,
        (n) => n >= 10,
        20000,
      );
      expect(delivered).toBe(10);
    } finally {
      await close();
    }
  });
  it('does not hang on a Redis that stops answering: the publish times out, events wait, and all arrive once it answers', async () => {
    const { proxy, ns, replica: stalling, close } = await replicaBehindProxy('stall');
    const streamed = async () =>
      new Set((await redis.xrange(`${ns}customer.events`, '-', '+')).filter(([, f]) => f.includes('customer.updated')).map(([, f]) => f[f.indexOf('id') + 1]));
    try {
      const c = await createCustomer(server);
      await until(
        () => redis.xlen(`${ns}customer.events`),
        (n) => n >= 1,
      );
      proxy.stall();
      for (let i = 0; i < 3; i++) {
        const res = await postGraphql(stalling.url, UPDATE, { id: c.id, input: { lastName: `Stalled${i}` } }, tokens.admin());
        expect(res.errors).toBeUndefined();
      }
      // Without a command timeout the relay's round would wait on the silent connection
      // for as long as TCP keeps it open; with one, the attempt fails and is recorded.
      const rows = () =>
        server.db.query<{ id: string; status: string; attempts: number; lastError: string | null }>(
          `SELECT id, status, attempts, last_error AS "lastError" FROM outbox_events
            WHERE customer_id = $1 AND type = 'customer.updated' ORDER BY seq`,
          [c.id],
        );
      const failed = await until(rows, (rs) => rs.length === 3 && rs.every((r) => r.lastError !== null), 15000);
      expect(failed.map((r) => r.attempts)).toEqual([0, 0, 0]); // an outage: not counted towards DEAD
      expect(failed.map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
      expect(failed[0].lastError).toMatch(/timed out/i);

      proxy.resume();
      const ids = await until(streamed, (got) => failed.every((r) => got.has(r.id)), 15000);
      expect(failed.filter((r) => !ids.has(r.id))).toEqual([]);
    } finally {
      await close();
    }
  }, 60_000);

  it('still ends events in DEAD when a reachable Redis refuses them', async () => {
    const { ns, replica, close } = await replicaBehindProxy('refused', { CUSTOMER_OUTBOX_MAX_ATTEMPTS: '2' });
    try {
      // Something else holds the stream's key: XADD answers WRONGTYPE, an error about this write, not an outage.
      await redis.set(`${ns}customer.events`, 'not a stream');
      const c = await createCustomer(server);
      const res = await postGraphql(replica.url, UPDATE, { id: c.id, input: { lastName: 'Refused' } }, tokens.admin());
      expect(res.errors).toBeUndefined();
      const rows = () =>
        server.db.query<{ status: string; attempts: number; lastError: string }>(
          `SELECT status, attempts, last_error AS "lastError" FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated'`,
          [c.id],
        );
      const dead = await until(rows, (rs) => rs.length === 1 && rs[0].status === 'DEAD', 15000);
      expect(dead).toEqual([{ status: 'DEAD', attempts: 2, lastError: expect.stringMatching(/WRONGTYPE/) }]);
    } finally {
      await redis.del(`${ns}customer.events`);
      await close();
    }
  });
});

describe('relay', () => {
  it('loses nothing when a relay dies after publishing but before marking its batch sent', async () => {
    const c = await createCustomer(server);
    await server.app.relay.idle();
    await server.app.relay.stop();
    try {
      for (let i = 0; i < 5; i++) await server.gql(UPDATE, { id: c.id, input: { firstName: `Crash${i}` } }, tokens.admin());
      // A relay on a database whose transactions never commit: it publishes, then "dies" when
      // it would mark its rows sent and commit.
      const dying = {
        ...server.db,
        kind: server.db.kind,
        query: server.db.query.bind(server.db),
        transaction: (fn: (tx: Transaction) => Promise<unknown>) =>
          server.db.transaction((tx) =>
            fn({
              query: tx.query,
              manager: tx.manager,
              queryAndCommit: async () => {
                throw new Error('killed before commit');
              },
            }),
          ),
      } as any;
      const seen: string[] = [];
      const recording = new EventPublisher(server.app.bus.pubsub, null, 1000);
      const original = recording.publish.bind(recording);
      recording.publish = async (rows: OutboxRow[]) => {
        seen.push(...rows.map((r: OutboxRow) => r.id));
        await original(rows);
      };
      const doomed = new OutboxRelay(dying, recording, server.config.outbox, { warn: () => undefined } as any, null);
      await expect(doomed.drainOnce()).rejects.toThrow('killed before commit');
      expect(seen.length).toBeGreaterThanOrEqual(5);
      const stillPending = await server.db.query<{ id: string }>(
        "SELECT id FROM outbox_events WHERE customer_id = $1 AND status = 'PENDING' AND type = 'customer.updated'",
        [c.id],
      );
      expect(stillPending).toHaveLength(5);
    } finally {
      server.app.relay.start();
    }
    const sent = await until(
      () => server.db.query<{ status: string }>("SELECT status FROM outbox_events WHERE customer_id = $1 AND type = 'customer.updated'", [c.id]),
      (rows) => rows.every((r) => r.status === 'SENT'),
    );
    expect(sent.map((r) => r.status)).toEqual(Array(5).fill('SENT'));
  });

  it("two relays draining together never publish a row twice and keep each customer's order, membership batches included", async () => {
    await server.app.relay.idle();
    await server.app.relay.stop();
    const tag = Math.random().toString(36).slice(2, 8);
    const customers = [];
    for (let i = 0; i < 4; i++) customers.push(await createCustomer(server, { email: `order${i}@${tag}.test` }));
    // A segment the customers join and leave on every other refresh: each refresh writes one
    // membership batch (four changes) between the customers' own rows.
    const segment = (value: string) => ({ name: `order-${tag}`, rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value }] });
    const created = await server.gql(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: segment('none.test') },
      tokens.admin(),
    );
    const segmentId = created.data!.createSegment.id;
    // Cross a power of ten in the middle of the run: seq must be ordered as a number, not as text.
    await server.db.query("SELECT setval(pg_get_serial_sequence('outbox_events', 'seq'), 99990)");
    try {
      for (let round = 0; round < 15; round++) {
        await Promise.all(customers.map((c) => server.gql(UPDATE, { id: c.id, input: { lastName: `R${round}` } }, tokens.admin())));
        if (round % 3 === 1) {
          const value = round % 2 ? `${tag}.test` : 'none.test';
          await server.gql(
            'mutation($id: ID!, $input: SegmentInput!) { updateSegment(id: $id, input: $input) { id } }',
            { id: segmentId, input: segment(value) },
            tokens.admin(),
          );
          await server.gql('mutation($id: ID!) { refreshSegment(id: $id) { added } }', { id: segmentId }, tokens.admin());
        }
      }
      const batches = await server.db.query("SELECT 1 FROM outbox_events WHERE type = 'segment.membership_changed.batch' AND status = 'PENDING'");
      expect(batches.length).toBeGreaterThanOrEqual(4);
      const published: { id: string; customerId: string | null; seq: string; type: string; joined?: boolean }[] = [];
      const makeRelay = () => {
        const p = new EventPublisher(server.app.bus.pubsub, null, 1000);
        p.publish = async (rows: OutboxRow[]) => {
          await new Promise((r) => setTimeout(r, 5));
          published.push(
            ...rows.map((r: OutboxRow) => ({
              id: r.id,
              customerId: r.customerId,
              seq: r.seq,
              type: r.type,
              joined: (r.payload.data as { joined?: boolean }).joined,
            })),
          );
        };
        return new OutboxRelay(server.db, p, { ...server.config.outbox, batchSize: 7 }, { warn: () => undefined } as any, null);
      };
      const [r1, r2] = [makeRelay(), makeRelay()];
      const drainAll = async (r: InstanceType<typeof OutboxRelay>) => {
        for (let idle = 0; idle < 5;) idle = (await r.drainOnce()) === 0 ? idle + 1 : 0;
      };
      await Promise.all([drainAll(r1), drainAll(r2)]);
      const ids = published.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const c of customers) {
        const mine = published.filter((p) => p.customerId === c.id);
        const seqs = mine.map((p) => BigInt(p.seq));
        expect(seqs.length).toBeGreaterThanOrEqual(15);
        expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
        // Joins and leaves alternate, as they were committed.
        const moves = mine.filter((p) => p.type === 'segment.membership_changed').map((p) => p.joined);
        expect(moves.length).toBeGreaterThanOrEqual(4);
        expect(moves).toEqual(moves.map((_, i) => i % 2 === 0));
      }
    } finally {
      server.app.relay.start();
    }
  });
  it('fans a membership batch out into one event per change, at most batchSize events a round, with the same ids when published again', async () => {
    await server.app.relay.idle();
    await server.app.relay.stop();
    const segmentId = randomUUID();
    const customers = Array.from({ length: 15 }, () => randomUUID());
    const batchIds: string[] = [];
    try {
      for (let b = 0; b < 3; b++) {
        const id = randomUUID();
        batchIds.push(id);
        const payload = { segmentId, time: '2026-11-28T10:00:00.000Z', joined: customers.slice(b * 5, b * 5 + 3), left: customers.slice(b * 5 + 3, b * 5 + 5) };
        await server.db.query("INSERT INTO outbox_events (id, type, payload) VALUES ($1, 'segment.membership_changed.batch', $2)", [
          id,
          JSON.stringify(payload),
        ]);
      }
      const rounds: OutboxRow[][] = [];
      const publisher = new EventPublisher(server.app.bus.pubsub, null, 1000);
      publisher.publish = async (rows: OutboxRow[]) => {
        rounds.push(rows.filter((r) => (r.payload.data as { segmentId?: string }).segmentId === segmentId));
      };
      const relay = new OutboxRelay(server.db, publisher, { ...server.config.outbox, batchSize: 7 }, { warn: () => undefined } as any, null);
      const drainAll = async () => {
        while ((await relay.drainOnce()) > 0);
      };
      await drainAll();
      // Two batches (ten events) would exceed seven: one batch a round.
      expect(rounds.filter((r) => r.length).map((r) => r.length)).toEqual([5, 5, 5]);
      const events = rounds.flat();
      expect(events.map((e) => e.customerId)).toEqual(customers);
      for (const [i, e] of events.entries()) {
        expect(e.type).toBe('segment.membership_changed');
        expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(e.payload).toEqual({
          specversion: '1.0',
          id: e.id,
          source: 'urn:ecommerce:customer-subgraph',
          type: 'segment.membership_changed',
          subject: customers[i],
          time: '2026-11-28T10:00:00.000Z',
          datacontenttype: 'application/json',
          data: { segmentId, customerId: customers[i], joined: i % 5 < 3 },
        });
      }
      expect(new Set(events.map((e) => e.id)).size).toBe(15);

      // Published again, as after a relay died between publishing and marking them sent: the
      // same event ids, so consumers can drop the duplicates.
      await server.db.query("UPDATE outbox_events SET status = 'PENDING' WHERE id = ANY($1::uuid[])", [batchIds]);
      rounds.length = 0;
      await drainAll();
      expect(rounds.flat().map((e) => e.id)).toEqual(events.map((e) => e.id));
    } finally {
      await server.db.query('DELETE FROM outbox_events WHERE id = ANY($1::uuid[])', [batchIds]);
      server.app.relay.start();
    }
  });
  it("holds a membership batch back only for its own customers' earlier pending events", async () => {
    const [waiting, other] = [await createCustomer(server), await createCustomer(server)];
    await server.app.relay.idle();
    await server.app.relay.stop();
    const segmentId = randomUUID();
    const inserted: string[] = [];
    const insert = async (type: string, customerId: string | null, payload: object, retryLater = false) => {
      const id = randomUUID();
      inserted.push(id);
      await server.db.query(
        `INSERT INTO outbox_events (id, customer_id, type, payload, next_attempt_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
        [id, customerId, type, JSON.stringify(payload), retryLater ? 3600 : 0],
      );
      return id;
    };
    try {
      // An event of `waiting` that failed and waits for its retry, then two batches: one with
      // `waiting` in it, one without, then a later event of `waiting`.
      const stuck = await insert('customer.updated', waiting.id, { type: 'customer.updated', time: new Date().toISOString(), data: {} }, true);
      const time = '2026-11-28T10:00:00.000Z';
      await insert('segment.membership_changed.batch', null, { segmentId, time, joined: [waiting.id], left: [] });
      await insert('segment.membership_changed.batch', null, { segmentId, time, joined: [other.id], left: [] });
      const later = await insert('customer.updated', waiting.id, { type: 'customer.updated', time: new Date().toISOString(), data: {} });
      const published: OutboxRow[] = [];
      const publisher = new EventPublisher(server.app.bus.pubsub, null, 1000);
      publisher.publish = async (rows: OutboxRow[]) => {
        published.push(...rows);
      };
      const relay = new OutboxRelay(server.db, publisher, server.config.outbox, { warn: () => undefined } as any, null);
      while ((await relay.drainOnce()) > 0);
      // Only `other`'s membership goes: everything of `waiting` waits behind the stuck event.
      expect(published.map((r) => [r.type, r.customerId])).toEqual([['segment.membership_changed', other.id]]);

      await server.db.query('UPDATE outbox_events SET next_attempt_at = now() WHERE id = $1', [stuck]);
      published.length = 0;
      while ((await relay.drainOnce()) > 0);
      expect(published.map((r) => [r.type, r.customerId, r.type === 'customer.updated' ? r.id : null])).toEqual([
        ['customer.updated', waiting.id, stuck],
        ['segment.membership_changed', waiting.id, null],
        ['customer.updated', waiting.id, later],
      ]);
    } finally {
      await server.db.query('DELETE FROM outbox_events WHERE id = ANY($1::uuid[])', [inserted]);
      server.app.relay.start();
    }
  });
});

describe('outbox pruning', () => {
  it('deletes sent events older than the retention, and nothing else', async () => {
    const old = (status: string, hours: number) =>
      server.db.query(
        `INSERT INTO outbox_events (id, customer_id, type, payload, status, sent_at, next_attempt_at)
         VALUES (gen_random_uuid(), NULL, 'test.prune', '{}', $1, now() - make_interval(hours => $2), now() + interval '1 day')
         RETURNING seq::text AS seq`,
        [status, hours],
      );
    const [[stale], [fresh], [pending]] = await Promise.all([old('SENT', 48), old('SENT', 1), old('PENDING', 48)]);
    const deleted = await server.app.relay.prune();
    expect(deleted).toBeGreaterThanOrEqual(1);
    const left = await server.db.query<{ seq: string }>('SELECT seq::text AS seq FROM outbox_events WHERE seq = ANY($1::bigint[])', [
      [stale, fresh, pending].map((r: any) => r.seq),
    ]);
    expect(left.map((r) => r.seq).sort()).toEqual([(fresh as any).seq, (pending as any).seq].sort());
    await server.db.query("DELETE FROM outbox_events WHERE type = 'test.prune'");
  });
});
