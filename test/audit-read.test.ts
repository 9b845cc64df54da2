import { randomUUID } from 'node:crypto';
import { AuditRetention } from '../src/modules/audit/audit.retention';
import { createLogger } from '../src/observability/logger';
import { createCustomer, startTestServer, TestServer, tokens, errorCode } from './helpers/server';

/**
 * The read side of the audit trail: rows are inserted directly with SQL (the write side is
 * tested with the mutations), then read over HTTP.
 */

let server: TestServer;
let customerA: string;
let customerB: string;
let bulk: string[];

interface Seed {
  id: string;
  event_type: string;
  severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL';
  customer_id: string | null;
  operation: string;
  ip_address: string | null;
  /** ISO 8601 UTC with microseconds, exactly as PostgreSQL keeps it. */
  created_at: string;
  old_values?: unknown;
  new_values?: unknown;
  metadata?: Record<string, unknown>;
  actor_id?: string | null;
  user_agent?: string | null;
  resource_id?: string | null;
}

const seeds: Seed[] = [];

/** Minutes before a fixed base, plus a microsecond part; equal arguments give equal timestamps. */
function at(minutesBefore: number, micros = 0): string {
  const iso = new Date(Date.UTC(2026, 2, 1, 12, 0, 0) - minutesBefore * 60_000).toISOString(); // ...T11:59:00.000Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

function seed(row: Omit<Seed, 'id'> & { id?: string }): Seed {
  const s = { id: randomUUID(), ...row } as Seed;
  seeds.push(s);
  return s;
}

/** Newest first, ties by id descending: what the service must return. */
function newestFirst(rows: Seed[]): string[] {
  return [...rows].sort((x, y) => (x.created_at === y.created_at ? (x.id < y.id ? 1 : -1) : x.created_at < y.created_at ? 1 : -1)).map((r) => r.id);
}

const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id eventType severity customerId createdAt } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const TRAIL = `query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    id
    auditTrail(first: $first, after: $after) {
      edges { cursor node { id customerId eventType } }
      nodes { id }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}`;

let sameInstant: Seed[];
let wholeMs: Seed;
let v4: Seed;
let v6: Seed;
let masked: Seed;

beforeAll(async () => {
  server = await startTestServer();
  customerA = (await createCustomer(server, { firstName: 'Ann' })).id;
  customerB = (await createCustomer(server, { firstName: 'Bea' })).id;
  const rows = await server.db.query<{ id: string }>(
    `INSERT INTO customers (email, first_name, group_id)
     SELECT 'audit-bulk' || i || '@example.com', 'Bulk' || i, (SELECT id FROM customer_groups WHERE is_default)
       FROM generate_series(1, 50) AS i RETURNING id`,
  );
  bulk = rows.map((r) => r.id);

  // Customer A: a dozen events of every kind, four of them at one identical instant.
  v4 = seed({
    event_type: 'customer.profile.update',
    severity: 'INFO',
    customer_id: customerA,
    operation: 'update',
    ip_address: '203.0.113.7',
    created_at: at(1, 456),
    old_values: { firstName: 'An' },
    new_values: { firstName: 'Ann' },
    metadata: { source: 'test' },
    actor_id: 'admin-user',
    user_agent: 'jest',
  });
  v6 = seed({
    event_type: 'customer.address.created',
    severity: 'INFO',
    customer_id: customerA,
    operation: 'create',
    ip_address: '2001:db8::1',
    created_at: at(2),
  });
  masked = seed({
    event_type: 'customer.address.default_changed',
    severity: 'WARN',
    customer_id: customerA,
    operation: 'update',
    ip_address: '198.51.100.23/24',
    created_at: at(3),
  });
  sameInstant = [0, 1, 2, 3].map((i) =>
    seed({
      event_type: i % 2 ? 'customer.a_b.x' : 'customer.aXb.y',
      severity: i < 2 ? 'ERROR' : 'DEBUG',
      customer_id: customerA,
      operation: 'update',
      ip_address: null,
      created_at: at(4, 123),
    }),
  );
  // Microseconds apart: a millisecond cursor would lose one of them.
  seed({ event_type: 'customer.50%.z', severity: 'CRITICAL', customer_id: customerA, operation: 'delete', ip_address: null, created_at: at(5, 1) });
  seed({ event_type: 'customer.50x.z', severity: 'INFO', customer_id: customerA, operation: 'delete', ip_address: null, created_at: at(5, 2) });
  wholeMs = seed({ event_type: 'customer.profile.update', severity: 'INFO', customer_id: customerA, operation: 'update', ip_address: null, created_at: at(6) });
  seed({ event_type: 'customer.address.deleted', severity: 'INFO', customer_id: customerA, operation: 'delete', ip_address: null, created_at: at(7) });
  seed({ event_type: 'customer.profile.update', severity: 'INFO', customer_id: customerA, operation: 'update', ip_address: null, created_at: at(8) });
  // Customer B, interleaved in time with A, sharing one instant with A's four.
  for (let i = 0; i < 6; i++) {
    seed({
      event_type: i % 2 ? 'customer.address.created' : 'customer.login.failed',
      severity: i % 3 === 0 ? 'WARN' : 'INFO',
      customer_id: customerB,
      operation: i % 2 ? 'create' : 'login',
      ip_address: '192.0.2.1',
      created_at: i === 0 ? at(4, 123) : at(i * 2 + 0.5),
    });
  }
  // No customer (a failed sign-in for an unknown email).
  for (let i = 0; i < 3; i++) {
    seed({ event_type: 'customer.login.failed', severity: 'WARN', customer_id: null, operation: 'login', ip_address: '192.0.2.9', created_at: at(10 + i) });
  }
  // Three events for each of 50 customers (the batching check), older than everything above.
  bulk.forEach((id, n) => {
    for (let i = 0; i < 3; i++) {
      seed({
        event_type: 'customer.profile.update',
        severity: 'DEBUG',
        customer_id: id,
        operation: 'update',
        ip_address: null,
        created_at: at(100 + n * 3 + i, 7),
      });
    }
  });

  // Whatever the mutations above wrote themselves is not part of this data set.
  await server.db.query('DELETE FROM audit_events');
  await server.db.query(
    `INSERT INTO audit_events (id, event_type, severity, customer_id, resource_id, operation, old_values, new_values,
                               user_agent, ip_address, actor_id, metadata, created_at)
     SELECT id, event_type, severity, customer_id, resource_id, operation, old_values, new_values,
            user_agent, ip_address::inet, actor_id, coalesce(metadata, '{}'), created_at
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, event_type text, severity text, customer_id uuid, resource_id uuid,
            operation text, old_values jsonb, new_values jsonb, user_agent text, ip_address text, actor_id text,
            metadata jsonb, created_at timestamptz)`,
    [JSON.stringify(seeds)],
  );
  const [check] = await server.db.query<{ n: number; t: string }>(
    `SELECT count(*)::int AS n, to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t FROM audit_events`,
  );
  expect(check.n).toBe(seeds.length);
  expect(check.t).toBe(v4.created_at); // microseconds made it in
});

afterAll(async () => {
  await server?.close();
});

async function events(variables: Record<string, unknown>, token = tokens.admin()) {
  const res = await server.gql(EVENTS, variables, token);
  expect(res.errors).toBeUndefined();
  return res.data!.auditEvents;
}

async function eventIds(filter: Record<string, unknown>): Promise<string[]> {
  return (await events({ filter, first: 100 })).nodes.map((n: { id: string }) => n.id);
}

/** Walks every page; checks the page info of each on the way. */
async function walk(fetchPage: (after: string | null) => Promise<any>, pageLength: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page: any = await fetchPage(after);
    expect(page.edges.length).toBeLessThanOrEqual(pageLength);
    expect(page.nodes.map((n: { id: string }) => n.id)).toEqual(page.edges.map((e: { node: { id: string } }) => e.node.id));
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
    seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
    if (!page.pageInfo.hasNextPage) return seen;
    expect(page.edges).toHaveLength(pageLength);
    after = page.pageInfo.endCursor;
  }
  throw new Error('pagination did not end');
}

describe('auditEvents (ADMIN)', () => {
  it('is ADMIN only', async () => {
    expect(errorCode(await server.gql(EVENTS, {}, tokens.customer(customerA)))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(EVENTS, {}, tokens.service()))).toBe('FORBIDDEN');
    const anonymous = await server.gql(EVENTS, {});
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    expect(anonymous.data).toBeNull();
  });

  it('lists newest first, ties on created_at broken by id, 50 by default and at most 100', async () => {
    const all = newestFirst(seeds);
    const byDefault = await events({});
    expect(byDefault.nodes.map((n: { id: string }) => n.id)).toEqual(all.slice(0, 50));
    expect(byDefault.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const capped = await events({ first: 1000 });
    expect(capped.nodes.map((n: { id: string }) => n.id)).toEqual(all.slice(0, 100));
    expect(capped.pageInfo.hasNextPage).toBe(true);
    const none = await events({ first: 0 });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect(errorCode(await server.gql(EVENTS, { first: -1 }, tokens.admin()))).toBe('BAD_USER_INPUT');
  });

  it('returns every field, createdAt as ISO 8601 and ipAddress as a plain address string', async () => {
    const res = await server.gql(
      `{ auditEvents(filter: { customerId: "${customerA}" }, first: 3) { nodes {
          id eventType severity customerId resourceId operation oldValues newValues actorId ipAddress userAgent sessionId traceId metadata createdAt
      } } }`,
      {},
      tokens.admin(),
    );
    expect(res.errors).toBeUndefined();
    const [first, second, third] = res.data!.auditEvents.nodes;
    expect(first).toEqual({
      id: v4.id,
      eventType: 'customer.profile.update',
      severity: 'INFO',
      customerId: customerA,
      resourceId: null,
      operation: 'update',
      oldValues: { firstName: 'An' },
      newValues: { firstName: 'Ann' },
      actorId: 'admin-user',
      ipAddress: '203.0.113.7',
      userAgent: 'jest',
      sessionId: null,
      traceId: null,
      metadata: { source: 'test' },
      createdAt: '2026-03-01T11:59:00.000Z',
    });
    expect(second).toMatchObject({ id: v6.id, ipAddress: '2001:db8::1', oldValues: null, metadata: {} });
    // stored with a /24 mask; host() answers the address alone
    expect(third).toMatchObject({ id: masked.id, ipAddress: '198.51.100.23' });
    const [{ raw }] = await server.db.query<{ raw: string }>('SELECT ip_address::text AS raw FROM audit_events WHERE id = $1', [masked.id]);
    expect(raw).toBe('198.51.100.23/24');
  });

  it('pages through everything without gaps or repeats, across identical timestamps and microsecond differences', async () => {
    const all = newestFirst(seeds);
    for (const size of [1, 3, 7]) {
      const seen = await walk((after) => events({ first: size, after }), size);
      expect(seen).toEqual(all);
    }
    // a page boundary falling inside the four identical timestamps
    const sameIds = newestFirst(sameInstant);
    const firstTwo = await events({ filter: { customerId: customerA, severity: ['ERROR', 'DEBUG'] }, first: 2 });
    expect(firstTwo.nodes.map((n: { id: string }) => n.id)).toEqual(sameIds.slice(0, 2));
    const nextTwo = await events({ filter: { customerId: customerA, severity: ['ERROR', 'DEBUG'] }, first: 2, after: firstTwo.pageInfo.endCursor });
    expect(nextTwo.nodes.map((n: { id: string }) => n.id)).toEqual(sameIds.slice(2));
    expect(nextTwo.pageInfo.hasNextPage).toBe(false);
  });

  it('filters by customer, event types, event type prefix (LIKE wildcards literal), severity, since (inclusive) and until (exclusive)', async () => {
    const where = (f: (s: Seed) => boolean) => newestFirst(seeds.filter(f));
    expect(await eventIds({ customerId: customerA })).toEqual(where((s) => s.customer_id === customerA));
    expect(await eventIds({ customerId: customerB })).toEqual(where((s) => s.customer_id === customerB));
    expect(await eventIds({ customerId: randomUUID() })).toEqual([]);
    // A malformed id is refused before any SQL, naming the field (it used to match nothing).
    const malformed = await server.gql(EVENTS, { filter: { customerId: 'not-a-uuid' } }, tokens.admin());
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'filter.customerId', message: 'must be a UUID' }] });
    // An upper-case id is the same customer.
    expect(await eventIds({ customerId: customerA.toUpperCase() })).toEqual(where((s) => s.customer_id === customerA));

    expect(await eventIds({ eventTypes: ['customer.login.failed', 'customer.address.created'] })).toEqual(
      where((s) => s.event_type === 'customer.login.failed' || s.event_type === 'customer.address.created'),
    );
    expect(await eventIds({ eventTypes: ['customer.nothing'] })).toEqual([]);

    expect(await eventIds({ eventTypePrefix: 'customer.address.' })).toEqual(where((s) => s.event_type.startsWith('customer.address.')));
    expect(await eventIds({ eventTypePrefix: 'customer.a_b.' })).toEqual(where((s) => s.event_type === 'customer.a_b.x'));
    expect(await eventIds({ eventTypePrefix: 'customer.50%' })).toEqual(where((s) => s.event_type === 'customer.50%.z'));
    expect(await eventIds({ eventTypePrefix: 'customer.address.\\' })).toEqual([]);
    expect(await eventIds({ eventTypePrefix: 'CUSTOMER.' })).toEqual([]);

    expect(await eventIds({ severity: ['ERROR', 'CRITICAL'] })).toEqual(where((s) => s.severity === 'ERROR' || s.severity === 'CRITICAL'));
    expect(await eventIds({ severity: ['WARN'], customerId: customerB })).toEqual(where((s) => s.severity === 'WARN' && s.customer_id === customerB));

    // wholeMs sits on a whole millisecond, so a DateTime can name it exactly.
    const t = wholeMs.created_at;
    expect(await eventIds({ since: t, customerId: customerA })).toEqual(where((s) => s.customer_id === customerA && s.created_at >= t));
    expect(await eventIds({ since: t, customerId: customerA })).toContain(wholeMs.id);
    expect(await eventIds({ until: t, customerId: customerA })).toEqual(where((s) => s.customer_id === customerA && s.created_at < t));
    expect(await eventIds({ until: t, customerId: customerA })).not.toContain(wholeMs.id);
    // any offset in
    expect(await eventIds({ since: '2026-03-01T12:56:00+01:00', until: '2026-03-01T13:59:00+02:00' })).toEqual(
      where((s) => s.created_at >= '2026-03-01T11:56:00' && s.created_at < '2026-03-01T11:59:00'),
    );

    // everything at once, paged
    const filter = {
      customerId: customerA,
      eventTypePrefix: 'customer.',
      severity: ['INFO', 'CRITICAL', 'DEBUG'],
      since: '2026-03-01T11:51:00Z',
      until: '2026-03-01T11:59:30Z',
    };
    const expected = where(
      (s) =>
        s.customer_id === customerA &&
        ['INFO', 'CRITICAL', 'DEBUG'].includes(s.severity) &&
        s.created_at >= '2026-03-01T11:51:00' &&
        s.created_at < '2026-03-01T11:59:30',
    );
    expect(expected.length).toBeGreaterThan(4);
    expect(await walk((after) => events({ filter, first: 2, after }), 2)).toEqual(expected);
  });

  it('refuses a cursor that is not one of its own with BAD_USER_INPUT', async () => {
    const customersCursor = (await server.gql('{ customers(first: 1) { pageInfo { endCursor } } }', {}, tokens.admin())).data!.customers.pageInfo.endCursor;
    const crafted = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    for (const after of [
      'garbage',
      '',
      customersCursor,
      crafted(['AUDIT:CREATED_AT:DESC', 'yesterday', randomUUID()]),
      crafted(['AUDIT:CREATED_AT:DESC', '2026-03-01T12:00:00.000000Z', 'not-a-uuid']),
      crafted(['AUDIT:CREATED_AT:DESC', "2026-03-01T12:00:00.000000Z'; DROP TABLE audit_events; --", randomUUID()]),
    ]) {
      const res = await server.gql(EVENTS, { after, first: 5 }, tokens.admin());
      if (after === '') {
        expect(res.errors).toBeUndefined(); // an empty cursor is "from the start"
        continue;
      }
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions!.fieldErrors).toEqual([expect.objectContaining({ field: 'after' })]);
    }
    // also when the filter cannot match anything
    expect(errorCode(await server.gql(EVENTS, { after: 'garbage', filter: { customerId: 'nope' } }, tokens.admin()))).toBe('BAD_USER_INPUT');
  });
});

describe('Customer.auditTrail', () => {
  const trailOfA = () => newestFirst(seeds.filter((s) => s.customer_id === customerA));

  it('shows the owner their own trail, newest first, paged', async () => {
    const token = tokens.customer(customerA);
    const seen = await walk(async (after) => {
      const res = await server.gql(TRAIL, { id: customerA, first: 4, after }, token);
      expect(res.errors).toBeUndefined();
      return res.data!.customer.auditTrail;
    }, 4);
    expect(seen).toEqual(trailOfA());
    const me = await server.gql('{ me { auditTrail { nodes { id customerId } } } }', {}, token);
    expect(me.errors).toBeUndefined();
    expect(me.data!.me.auditTrail.nodes.map((n: { id: string }) => n.id)).toEqual(trailOfA().slice(0, 20));
  });

  it('shows ADMIN any trail; two pages of one customer in one request', async () => {
    const res = await server.gql(TRAIL, { id: customerB, first: 100 }, tokens.admin());
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer.auditTrail.nodes.map((n: { id: string }) => n.id)).toEqual(newestFirst(seeds.filter((s) => s.customer_id === customerB)));
    expect(res.data!.customer.auditTrail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const first = await server.gql(TRAIL, { id: customerA, first: 3 }, tokens.admin());
    const cursor = first.data!.customer.auditTrail.pageInfo.endCursor;
    const both = await server.gql(
      `query($a: ID!, $b: ID!, $after: String) {
        one: customer(id: $a) { auditTrail(first: 3) { nodes { id } } }
        two: customer(id: $a) { auditTrail(first: 3, after: $after) { nodes { id } pageInfo { hasPreviousPage } } }
        other: customer(id: $b) { auditTrail(first: 3, after: $after) { nodes { id } } }
      }`,
      { a: customerA, b: customerB, after: cursor },
      tokens.admin(),
    );
    expect(both.errors).toBeUndefined();
    expect(both.data!.one.auditTrail.nodes.map((n: { id: string }) => n.id)).toEqual(trailOfA().slice(0, 3));
    expect(both.data!.two.auditTrail.nodes.map((n: { id: string }) => n.id)).toEqual(trailOfA().slice(3, 6));
    expect(both.data!.two.auditTrail.pageInfo.hasPreviousPage).toBe(true);
    // a cursor is a position in time: B's events older than A's third newest
    const position = seeds.find((s) => s.id === trailOfA()[2])!;
    expect(both.data!.other.auditTrail.nodes.map((n: { id: string }) => n.id)).toEqual(
      newestFirst(
        seeds.filter(
          (s) => s.customer_id === customerB && (s.created_at < position.created_at || (s.created_at === position.created_at && s.id < position.id)),
        ),
      ).slice(0, 3),
    );
  });

  it('refuses another customer (FORBIDDEN), SERVICE (FORBIDDEN) and anonymous callers', async () => {
    const other = await server.gql(TRAIL, { id: customerA }, tokens.customer(customerB));
    expect(errorCode(other)).toBe('FORBIDDEN');
    expect(other.data?.customer ?? null).toBeNull();
    // SERVICE may read the customer, but not the trail
    const service = await server.gql(TRAIL, { id: customerA }, tokens.service());
    expect(errorCode(service)).toBe('FORBIDDEN');
    expect(service.errors![0].path).toEqual(['customer', 'auditTrail']);
    expect(errorCode(await server.gql(TRAIL, { id: customerA }))).toBe('UNAUTHENTICATED');
  });

  it('refuses a bad cursor or page size with BAD_USER_INPUT', async () => {
    expect(errorCode(await server.gql(TRAIL, { id: customerA, after: 'garbage' }, tokens.admin()))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.gql(TRAIL, { id: customerA, first: -3 }, tokens.admin()))).toBe('BAD_USER_INPUT');
  });

  it('costs the same number of statements for a page of 10 and of 50 customers', async () => {
    const PAGE = `query($first: Int!) { customers(first: $first) { nodes { id
      auditTrail(first: 2) { nodes { id customerId ipAddress } pageInfo { hasNextPage endCursor } }
    } } }`;
    let small: any;
    let large: any;
    const n10 = await server.countStatements(async () => {
      small = await server.gql(PAGE, { first: 10 }, tokens.admin());
    });
    const n50 = await server.countStatements(async () => {
      large = await server.gql(PAGE, { first: 50 }, tokens.admin());
    });
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    const nodes = large.data.customers.nodes as {
      id: string;
      auditTrail: { nodes: { id: string; customerId: string }[]; pageInfo: { hasNextPage: boolean } };
    }[];
    expect(nodes).toHaveLength(50);
    expect(new Set(nodes.map((n) => n.id))).toEqual(new Set(bulk));
    for (const c of nodes) {
      expect(c.auditTrail.nodes.map((n) => n.id)).toEqual(newestFirst(seeds.filter((s) => s.customer_id === c.id)).slice(0, 2));
      expect(c.auditTrail.pageInfo.hasNextPage).toBe(true);
    }
    expect(n50).toBe(n10);
    expect(n50).toBeLessThanOrEqual(2); // the page, the audit trails
  });
});

describe('AuditRetention', () => {
  const logger = createLogger('silent');

  async function seedAges(old: number, recent: number): Promise<void> {
    await server.db.query(
      `INSERT INTO audit_events (event_type, operation, customer_id, created_at)
       SELECT 'customer.profile.update', 'update', $3::uuid, now() - make_interval(days => 400) - make_interval(mins => i)
         FROM generate_series(1, $1::int) AS i
       UNION ALL
       SELECT 'customer.profile.update', 'update', $3::uuid, now() - make_interval(days => 364) + make_interval(mins => i)
         FROM generate_series(1, $2::int) AS i`,
      [old, recent, customerA],
    );
  }

  async function ages(): Promise<{ old: number; recent: number }> {
    const [row] = await server.db.query<{ old: number; recent: number }>(
      `SELECT count(*) FILTER (WHERE created_at < now() - interval '365 days')::int AS old,
              count(*) FILTER (WHERE created_at >= now() - interval '365 days')::int AS recent FROM audit_events`,
    );
    return row;
  }

  it('deletes rows older than the window in batches and keeps newer ones', async () => {
    await server.db.query('DELETE FROM audit_events');
    await seedAges(10, 4);
    const retention = new AuditRetention(server.db, { retentionDays: 365, batchSize: 3, intervalMs: 60_000 }, logger);
    let deleted: number;
    const statements: string[] = [];
    const off = server.db.onStatement((text) => statements.push(text));
    try {
      deleted = await retention.runOnce();
    } finally {
      off();
    }
    expect(deleted).toBe(10);
    expect(statements.filter((s) => /DELETE FROM audit_events/.test(s))).toHaveLength(4); // 3 + 3 + 3 + 1
    expect(await ages()).toEqual({ old: 0, recent: 4 });
    expect(await retention.runOnce()).toBe(0);
    expect(await ages()).toEqual({ old: 0, recent: 4 });
  });

  it('runs on its interval once started and stops cleanly', async () => {
    await seedAges(7, 0);
    const retention = new AuditRetention(server.db, { retentionDays: 365, batchSize: 2, intervalMs: 25 }, logger);
    retention.start();
    retention.start(); // idempotent
    try {
      for (let i = 0; i < 200 && (await ages()).old > 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await retention.stop();
    }
    expect(await ages()).toEqual({ old: 0, recent: 4 });
  });

  it('refuses nonsense options', () => {
    expect(() => new AuditRetention(server.db, { retentionDays: 0 }, logger)).toThrow(RangeError);
    expect(() => new AuditRetention(server.db, { retentionDays: 30, batchSize: 0 }, logger)).toThrow(RangeError);
  });
});
