import { randomUUID } from 'node:crypto';
import type { Database } from '../src/db/database';
import { createLogger } from '../src/observability/logger';
import { MAX_OPERATION_NAMES, Metrics } from '../src/observability/metrics';
import { register } from './helpers/accounts';
import { createCustomer, startReplica, startTestServer, TestServer, tokens, uniqueEmail, CREATE_CUSTOMER } from './helpers/server';

// GET /metrics: Prometheus text, with the counters moved by operations and commits, the
// outbox and pool gauges read at scrape time, and Node's default metrics.

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer();
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(() => server.close());

const admin = tokens.admin();

async function scrape(url = base): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series (`name` with exactly these labels, in any order); undefined when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === wanted) return Number(m[3]);
  }
  return undefined;
}

/** Counter values start absent; read them as 0. */
const count = (text: string, name: string, labels: Record<string, string> = {}) => value(text, name, labels) ?? 0;

const CREATE_ADDRESS = 'mutation($c: ID!, $input: AddressInput!) { createAddress(customerId: $c, input: $input) { id } }';
const CREATE_SEGMENT = 'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }';
const REFRESH = 'mutation($id: ID!) { refreshSegment(id: $id) { added } }';

describe('GET /metrics', () => {
  it('answers the Prometheus text format, uncached, with the default process and Node.js metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_total_bytes']) {
      expect(value(text, name)).toBeGreaterThanOrEqual(0);
    }
    expect(text).toContain('# TYPE customer_requests_total counter');
    expect(text).toContain('# TYPE customer_request_duration_seconds histogram');
  });

  it('counts created customers, registrations and audit events after commit, and nothing for a rolled-back change', async () => {
    const before = await scrape();
    const c = await createCustomer(server);
    await register(server);
    // EMAIL_TAKEN: the insert fails, the transaction rolls back, nothing is counted.
    const dup = await server.gql(CREATE_CUSTOMER, { input: { email: c.email } }, admin);
    expect(dup.errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
    const after = await scrape();
    expect(count(after, 'customer_created_total') - count(before, 'customer_created_total')).toBe(2);
    const audits = (t: string) => count(t, 'audit_events_total', { event_type: 'customer.profile.create' });
    expect(audits(after) - audits(before)).toBe(2);
    const errors = (t: string) => count(t, 'customer_errors_total', { code: 'EMAIL_TAKEN' });
    expect(errors(after) - errors(before)).toBe(1);
  });

  it('counts created addresses (not a duplicate that returns the existing one)', async () => {
    const c = await createCustomer(server);
    const before = await scrape();
    const input = { addressLine1: '1 Main Street', city: 'Springfield', postalCode: '10001', countryCode: 'US' };
    for (let i = 0; i < 2; i++) expect((await server.gql(CREATE_ADDRESS, { c: c.id, input }, admin)).errors).toBeUndefined();
    const after = await scrape();
    expect(count(after, 'customer_addresses_total') - count(before, 'customer_addresses_total')).toBe(1);
    const audits = (t: string) => count(t, 'audit_events_total', { event_type: 'customer.address.create' });
    expect(audits(after) - audits(before)).toBe(1);
  });

  it('counts segment joins from incremental re-scoring and from refreshes', async () => {
    const domain = `seg-${randomUUID().slice(0, 8)}.example`;
    await createCustomer(server, { email: uniqueEmail('a').replace('example.com', domain) });
    await createCustomer(server, { email: uniqueEmail('b').replace('example.com', domain) });
    const seg = await server.gql(CREATE_SEGMENT, { input: { name: `m-${domain}`, rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: domain }] } }, admin);
    const id = seg.data!.createSegment.id;
    const before = await scrape();
    // Refresh: the two existing customers join.
    expect((await server.gql(REFRESH, { id }, admin)).data!.refreshSegment.added).toBe(2);
    // Incremental: a new customer of the domain joins in the transaction that creates them.
    await createCustomer(server, { email: uniqueEmail('c').replace('example.com', domain) });
    const after = await scrape();
    expect(count(after, 'customer_segments_assigned_total') - count(before, 'customer_segments_assigned_total')).toBe(3);
  });

  it('counts requests by operation and outcome, errors by code, and times them in a histogram', async () => {
    const c = await createCustomer(server);
    const before = await scrape();
    const probe = 'query MetricsProbe($id: ID!) { customer(id: $id) { id } }';
    await server.gql(probe, { id: c.id }, admin);
    await server.gql(probe, { id: c.id }, admin);
    // Anonymous: UNAUTHENTICATED.
    await server.gql(probe, { id: c.id }, null);
    // No name, and a name too long for a label: both `anonymous`.
    await server.gql('{ me { id } }', {}, admin);
    await server.gql(`query ${'L'.repeat(65)} { me { id } }`, {}, admin);
    // A token that is not valid: refused while the context is built (HTTP 401).
    await server.gql('query BadToken { me { id } }', {}, 'not-a-jwt');
    const after = await scrape();
    const diff = (name: string, labels: Record<string, string>) => count(after, name, labels) - count(before, name, labels);
    expect(diff('customer_requests_total', { operation: 'MetricsProbe', status: 'success' })).toBe(2);
    expect(diff('customer_requests_total', { operation: 'MetricsProbe', status: 'error' })).toBe(1);
    expect(diff('customer_requests_total', { operation: 'anonymous', status: 'success' })).toBe(2);
    expect(diff('customer_requests_total', { operation: 'anonymous', status: 'error' })).toBe(1);
    expect(diff('customer_errors_total', { code: 'UNAUTHENTICATED' })).toBe(2);
    expect(after).not.toContain('L'.repeat(65));

    expect(diff('customer_request_duration_seconds_count', { operation: 'MetricsProbe' })).toBe(3);
    expect(value(after, 'customer_request_duration_seconds_sum', { operation: 'MetricsProbe' })).toBeGreaterThan(0);
    expect(value(after, 'customer_request_duration_seconds_bucket', { operation: 'MetricsProbe', le: '+Inf' })).toBe(
      value(after, 'customer_request_duration_seconds_count', { operation: 'MetricsProbe' }),
    );
    for (const le of ['0.001', '0.005', '0.05', '0.5', '10']) {
      expect(value(after, 'customer_request_duration_seconds_bucket', { operation: 'MetricsProbe', le })).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports the outbox backlog and the age of its oldest pending event', async () => {
    const text = await scrape();
    expect(value(text, 'customer_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'customer_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    // An event waiting for a retry an hour from now, written an hour ago: the relay leaves it alone.
    const id = randomUUID();
    await server.db.query(
      `INSERT INTO outbox_events (id, type, payload, created_at, next_attempt_at)
       VALUES ($1, 'customer.test', '{}', now() - interval '1 hour', now() + interval '1 hour')`,
      [id],
    );
    try {
      const withBacklog = await scrape();
      expect(value(withBacklog, 'customer_outbox_pending_events')).toBeGreaterThanOrEqual(1);
      expect(value(withBacklog, 'customer_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(3600);
    } finally {
      await server.db.query('DELETE FROM outbox_events WHERE id = $1', [id]);
    }
  });

  it('reports the database pool', async () => {
    await createCustomer(server);
    const text = await scrape();
    expect(value(text, 'customer_db_pool_max_connections')).toBe(10);
    expect(value(text, 'customer_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'customer_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'customer_db_pool_waiting_requests')).toBe(0);
  });

  it('keeps one registry per app: a second instance in the same process starts from zero', async () => {
    await createCustomer(server);
    const replica = await startReplica(server);
    try {
      const replicaBase = replica.url.replace(/\/graphql$/, '');
      expect(count(await scrape(replicaBase), 'customer_created_total')).toBe(0);
      expect(count(await scrape(), 'customer_created_total')).toBeGreaterThan(0);
    } finally {
      await replica.close();
    }
  });

  it('answers 404 and counts nothing with CUSTOMER_METRICS_ENABLED=false', async () => {
    const off = await startTestServer({ CUSTOMER_METRICS_ENABLED: 'false' });
    try {
      const offBase = off.url.replace(/\/graphql$/, '');
      expect((await fetch(`${offBase}/metrics`)).status).toBe(404);
      expect((await createCustomer(off)).id).toBeDefined();
    } finally {
      await off.close();
    }
  });
});

describe('label cardinality', () => {
  it('keeps the first 200 operation names and counts later ones as `other`', async () => {
    const db = { kind: 'postgres', query: async () => [] } as unknown as Database;
    const metrics = new Metrics(db, createLogger('silent'));
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) expect(metrics.operationLabel(`Op${i}`)).toBe(`Op${i}`);
    expect(metrics.operationLabel('OneTooMany')).toBe('other');
    expect(metrics.operationLabel('Op7')).toBe('Op7');
    expect(metrics.operationLabel(null)).toBe('anonymous');
    expect(metrics.operationLabel('x'.repeat(65))).toBe('anonymous');
    expect(metrics.operationLabel('bad-name')).toBe('anonymous');
  });
});
