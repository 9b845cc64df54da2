import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { ConfigError, loadConfig } from '../src/config/config';
import { flushTracing, isTracing, traceLogFields } from '../src/observability/tracing';
import { createCustomer, startTestServer, TestServer, tokens, uniqueEmail } from './helpers/server';
import { subscribe, wsClient } from './helpers/ws';

/**
 * Tracing end to end: the service exports over real OTLP/HTTP to a fake collector in this
 * process, which keeps the JSON bodies it receives.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }[];
  events?: { name: string; attributes: OtlpSpan['attributes'] }[];
  status?: { code?: number };
}

interface Received {
  path: string;
  contentType: string | undefined;
  body: any;
}

class FakeCollector {
  readonly received: Received[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the assertion on content-type says what went wrong
      }
      this.received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Every span received so far, with the resource attributes of its batch. */
  spans(): (OtlpSpan & { resource: Record<string, unknown> })[] {
    const out: (OtlpSpan & { resource: Record<string, unknown> })[] = [];
    for (const r of this.received) {
      for (const rs of r.body?.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes ?? []);
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.push({ ...s, resource });
      }
    }
    return out;
  }
}

function attrs(list: OtlpSpan['attributes']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list) out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue);
  return out;
}

function randomHex(bytes: number): string {
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
}

/** Walks parent links up to the span with id `ancestorId`. */
function descendsFrom(span: OtlpSpan, ancestorId: string, byId: Map<string, OtlpSpan>): boolean {
  for (let s: OtlpSpan | undefined = span; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) {
    if (s.parentSpanId === ancestorId) return true;
  }
  return false;
}

const CUSTOMER_BY_ID = 'query CustomerById($id: ID!) { customer(id: $id) { id email addresses { id city } } }';
const UPDATE = 'mutation UpdateName($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';

describe('tracing on (CUSTOMER_TRACING_ENABLED=true)', () => {
  const collector = new FakeCollector();
  const logLines: Record<string, any>[] = [];
  let server: TestServer;

  beforeAll(async () => {
    const endpoint = await collector.start();
    server = await startTestServer(
      { CUSTOMER_TRACING_ENABLED: 'true', CUSTOMER_OTLP_ENDPOINT: endpoint, CUSTOMER_LOG_LEVEL: 'info' },
      { log: (line) => logLines.push(JSON.parse(line)) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await collector.stop();
  });

  it('exports an operation span under the caller traceparent, with batch and SQL spans nested under it', async () => {
    const c = await createCustomer(server);
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const res = await server.gql(CUSTOMER_BY_ID, { id: c.id }, tokens.admin(), { traceparent: `00-${traceId}-${parentId}-01` });
    expect(res.errors).toBeUndefined();
    await flushTracing();

    expect(collector.received.length).toBeGreaterThan(0);
    for (const r of collector.received) {
      expect(r.path).toBe('/v1/traces');
      expect(r.contentType).toMatch(/^application\/json/);
    }
    const spans = collector.spans().filter((s) => s.traceId === traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    const operation = spans.find((s) => s.name === 'query CustomerById');
    expect(operation).toBeDefined();
    expect(operation!.parentSpanId).toBe(parentId);
    expect(operation!.kind).toBe(2); // SERVER
    expect(operation!.resource['service.name']).toBe('customer-subgraph');
    expect(attrs(operation!.attributes)).toMatchObject({
      'graphql.operation.name': 'CustomerById',
      'graphql.operation.type': 'query',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });

    const batches = spans.filter((s) => s.name.startsWith('dataloader.batch '));
    expect(batches.map((s) => s.name).sort()).toEqual(['dataloader.batch addressesByCustomer', 'dataloader.batch customerById']);
    for (const b of batches) {
      expect(b.parentSpanId).toBe(operation!.spanId);
      expect(attrs(b.attributes)['dataloader.batch.size']).toBe(1);
    }

    const sql = spans.filter((s) => attrs(s.attributes)['db.system'] === 'postgresql');
    expect(sql.length).toBeGreaterThanOrEqual(2);
    for (const s of sql) {
      expect(s.kind).toBe(3); // CLIENT
      expect(descendsFrom(s, operation!.spanId, byId)).toBe(true);
      const statement = String(attrs(s.attributes)['db.statement']);
      // The parameterised text, never the values.
      expect(statement).toMatch(/\$1/);
      expect(statement).not.toContain(c.id);
      expect(JSON.stringify(s)).not.toContain(c.id);
    }
    // Each batch's statement is its child.
    for (const b of batches) expect(sql.some((s) => s.parentSpanId === b.spanId && s.name === 'SELECT')).toBe(true);
  });

  it('writes the traceparent trace id to the audit row of a mutation, and continues that trace', async () => {
    const c = await createCustomer(server);
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const res = await server.gql(UPDATE, { id: c.id, input: { firstName: 'Traced' } }, tokens.admin(), { traceparent: `00-${traceId}-${parentId}-01` });
    expect(res.errors).toBeUndefined();
    const [row] = await server.db.query<{ trace_id: string }>(
      "SELECT trace_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.profile.update'",
      [c.id],
    );
    expect(row.trace_id).toBe(traceId);

    await server.app.relay.idle();
    await flushTracing();
    const spans = collector.spans().filter((s) => s.traceId === traceId);
    const operation = spans.find((s) => s.name === 'mutation UpdateName');
    expect(operation?.parentSpanId).toBe(parentId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    // The transaction's statements (BEGIN, the update, the audit and outbox insert: one WITH
    // statement, COMMIT) are in the trace.
    const statements = spans.filter((s) => attrs(s.attributes)['db.system'] === 'postgresql');
    expect(statements.map((s) => s.name)).toEqual(expect.arrayContaining(['BEGIN', 'UPDATE', 'WITH', 'COMMIT']));
    for (const s of statements) expect(descendsFrom(s, operation!.spanId, byId)).toBe(true);
    const insert = statements.find((s) => /INSERT INTO audit_events/i.test(String(attrs(s.attributes)['db.statement'])));
    expect(insert).toBeDefined();
    expect(JSON.stringify(insert)).not.toContain('Traced');
    // A relay round woken by a commit is background work, in no request's trace: every
    // traced transaction is a request's own, so BEGIN and COMMIT pair up in each trace.
    const all = collector.spans();
    for (const id of new Set(all.map((s) => s.traceId))) {
      const names = all.filter((s) => s.traceId === id).map((s) => s.name);
      expect(names.filter((n) => n === 'BEGIN').length).toBe(names.filter((n) => n === 'COMMIT' || n === 'ROLLBACK').length);
    }
  });

  it('starts a new trace without a traceparent, and the audit row carries its id', async () => {
    const email = uniqueEmail('traced');
    const res = await server.gql(
      'mutation NewCustomer($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
      { input: { email } },
      tokens.admin(),
    );
    const id = res.data?.createCustomer.id as string;
    const [row] = await server.db.query<{ trace_id: string | null }>(
      "SELECT trace_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.profile.create'",
      [id],
    );
    expect(row.trace_id).toMatch(/^[0-9a-f]{32}$/);

    await flushTracing();
    const operation = collector.spans().find((s) => s.name === 'mutation NewCustomer' && s.traceId === row.trace_id);
    expect(operation).toBeDefined();
    expect(operation!.parentSpanId ?? '').toBe('');
    expect(JSON.stringify(collector.spans().filter((s) => s.traceId === row.trace_id))).not.toContain(email);
  });

  it('records GraphQL errors on the operation span by code, without their messages', async () => {
    const traceId = randomHex(16);
    const res = await server.gql('query Missing($id: ID!) { customer(id: $id) { id } }', { id: 'not-a-uuid-secret' }, null, {
      traceparent: `00-${traceId}-${randomHex(8)}-01`,
    });
    expect(res.errors?.length).toBeGreaterThan(0);
    await flushTracing();
    const operation = collector.spans().find((s) => s.traceId === traceId && s.name === 'query Missing');
    expect(operation).toBeDefined();
    const events = (operation!.events ?? []).filter((e) => e.name === 'exception');
    expect(events.length).toBe(res.errors!.length);
    expect(attrs(events[0].attributes)['exception.type']).toBe(res.errors![0].extensions?.code);
    expect(JSON.stringify(operation)).not.toContain('not-a-uuid-secret');
  });

  it('exports a span per graphql-ws operation: a mutation with its SQL, a subscription start, a refused one by code', async () => {
    const c = await createCustomer(server);
    const other = await createCustomer(server);
    const admin = wsClient(server.url, tokens.admin());
    const customer = wsClient(server.url, tokens.customer(c.id));
    try {
      const live = await subscribe(admin, 'subscription Live($id: ID) { customerChanged(customerId: $id) { type } }', { id: c.id });
      const refused = await subscribe(customer, 'subscription Snoop($id: ID) { customerChanged(customerId: $id) { type } }', { id: other.id });
      const result = await new Promise<unknown>((resolve, reject) => {
        const query = 'mutation WsRename($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';
        admin.subscribe({ query, variables: { id: c.id, input: { lastName: 'OverWs' } } }, { next: resolve, error: reject, complete: () => undefined });
      });
      expect(result).toEqual({ data: { updateCustomer: { id: c.id } } });
      await live.waitFor(1);
      expect(refused.errors.length).toBeGreaterThan(0);
    } finally {
      admin.dispose();
      customer.dispose();
    }
    await flushTracing();
    const spans = collector.spans();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found).toHaveLength(1);
      return found[0];
    };

    const mutation = one('mutation WsRename');
    expect(mutation.kind).toBe(2); // SERVER
    expect(mutation.parentSpanId ?? '').toBe('');
    expect(attrs(mutation.attributes)).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'WsRename',
      'network.protocol.name': 'websocket',
    });
    const sql = spans.filter((s) => s.traceId === mutation.traceId && attrs(s.attributes)['db.system'] === 'postgresql');
    expect(sql.map((s) => s.name)).toEqual(expect.arrayContaining(['UPDATE']));
    for (const s of sql) expect(descendsFrom(s, mutation.spanId, byId)).toBe(true);
    // The audit row written over the socket carries the operation's trace id, as over HTTP.
    const [row] = await server.db.query<{ trace_id: string }>(
      "SELECT trace_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.profile.update'",
      [c.id],
    );
    expect(row.trace_id).toBe(mutation.traceId);

    const started = one('subscription Live');
    expect(started.events ?? []).toEqual([]);
    expect(started.status?.code ?? 0).not.toBe(2);
    const snoop = one('subscription Snoop');
    expect((snoop.events ?? []).map((e) => attrs(e.attributes)['exception.type'])).toEqual(['FORBIDDEN']);
  });

  it('puts the trace and span id on log lines written inside a traced request', async () => {
    const traceId = randomHex(16);
    await server.gql('query Logged { customerGroups { id } }', {}, tokens.admin(), { traceparent: `00-${traceId}-${randomHex(8)}-01` });
    await flushTracing();
    const operation = collector.spans().find((s) => s.traceId === traceId && s.name === 'query Logged');
    expect(operation).toBeDefined();
    const lines = logLines.filter((l) => l.spanId !== undefined);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.traceId === traceId).map((l) => l.spanId)).toContain(operation!.spanId);
    // Outside a request: no ids.
    expect(traceLogFields()).toEqual({});
  });
});

describe('tracing off (the default)', () => {
  const collector = new FakeCollector();
  let server: TestServer;

  beforeAll(async () => {
    const endpoint = await collector.start();
    server = await startTestServer({ CUSTOMER_OTLP_ENDPOINT: endpoint });
  });
  afterAll(async () => {
    await collector.stop();
  });

  it('registers nothing and exports nothing, and audit rows keep the traceparent trace id', async () => {
    expect(server.config.tracingEnabled).toBe(false);
    // No provider in the process: the global API is the no-op one and the facade short-circuits.
    expect(isTracing()).toBe(false);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);

    const c = await createCustomer(server);
    const traceId = randomHex(16);
    await server.gql(UPDATE, { id: c.id, input: { firstName: 'Plain' } }, tokens.admin(), { traceparent: `00-${traceId}-${randomHex(8)}-01` });
    await server.gql(CUSTOMER_BY_ID, { id: c.id }, tokens.admin(), { traceparent: `00-${traceId}-${randomHex(8)}-01` });
    const [row] = await server.db.query<{ trace_id: string }>(
      "SELECT trace_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.profile.update'",
      [c.id],
    );
    expect(row.trace_id).toBe(traceId);

    await flushTracing();
    await server.close(); // would flush a provider, if there were one
    expect(collector.received).toEqual([]);
  });
});

describe('tracing configuration', () => {
  it('takes CUSTOMER_OTLP_ENDPOINT as a collector base URL, then the standard OTEL_* variables', () => {
    expect(loadConfig({}).tracing).toEqual({ endpoint: 'http://localhost:4318/v1/traces', serviceName: 'customer-subgraph' });
    expect(loadConfig({ CUSTOMER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.endpoint).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ CUSTOMER_OTLP_ENDPOINT: 'https://otel.example.com/base/' }).tracing.endpoint).toBe('https://otel.example.com/base/v1/traces');
    expect(loadConfig({ CUSTOMER_OTLP_ENDPOINT: 'http://collector:4318/v1/traces' }).tracing.endpoint).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://agent:4318' }).tracing.endpoint).toBe('http://agent:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://agent:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' }).tracing.endpoint).toBe(
      'http://agent:4318/custom',
    );
    expect(loadConfig({ OTEL_SERVICE_NAME: 'customers-eu' }).tracing.serviceName).toBe('customers-eu');
  });

  it.each(['CUSTOMER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])(
    'refuses a %s that is not an http(s) URL',
    (name) => {
      expect(() => loadConfig({ [name]: 'collector:4318' })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: 'grpc://collector:4317' })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
    },
  );
});
