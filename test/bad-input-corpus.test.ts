import WebSocket from 'ws';
import {
  getNamedType,
  getNullableType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLObjectType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { buildCustomerSchema } from '../src/schema';
import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

/**
 * The bad-input corpus: cases generated from the schema (every argument and input field of
 * every query, mutation and subscription, with values of the wrong type, too long, with NUL
 * or unpaired surrogates, deep JSON, bad ids, cursors, enums, dates, country and postal
 * codes, SQL-ish text, ...), sent by anonymous, CUSTOMER and ADMIN callers over HTTP POST,
 * HTTP GET and graphql-ws to a production-mode server. Whatever the answer, it must be a
 * client error: never HTTP 500, never INTERNAL_SERVER_ERROR, never a stack trace, and the
 * server logs nothing at error level.
 */

let server: TestServer;
const logLines: string[] = [];
const ids = { customer: '', erasable: '', address: '', group: '', erasableGroup: '', segment: '' };
let customerToken = '';

beforeAll(async () => {
  server = await startTestServer(
    { NODE_ENV: 'production', CUSTOMER_2FA_ENCRYPTION_KEY: 'cd'.repeat(32), CUSTOMER_LOG_LEVEL: 'info' },
    { log: (line) => logLines.push(line) },
  );
  const admin = tokens.admin();
  ids.customer = (await createCustomer(server)).id;
  ids.erasable = (await createCustomer(server)).id;
  customerToken = tokens.customer(ids.customer);
  const address = await server.gql(
    'mutation($id: ID!) { createAddress(customerId: $id, input: { addressLine1: "1 Harbour Road", city: "Rotterdam", postalCode: "3011 AA", countryCode: "NL" }) { id } }',
    { id: ids.customer },
    admin,
  );
  ids.address = address.data!.createAddress.id;
  const group = (code: string) => server.gql('mutation($c: String!) { createCustomerGroup(input: { code: $c, name: $c }) { id } }', { c: code }, admin);
  ids.group = (await group('CORPUS')).data!.createCustomerGroup.id;
  ids.erasableGroup = (await group('CORPUS_GONE')).data!.createCustomerGroup.id;
  const segment = await server.gql(
    'mutation { createSegment(input: { name: "Corpus", rules: [{ field: TOTAL_ORDERS, operator: GTE, value: 0 }] }) { id } }',
    {},
    admin,
  );
  ids.segment = segment.data!.createSegment.id;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

// ---------------------------------------------------------------------------------------------
// Values

const UUID = '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f';
const HUGE = 'x'.repeat(20_000);
const NUL = 'an\u0000n';
const LONE_HIGH = 'an\uD800n';
const LONE_LOW = '\uDC00ann';
const EMOJI = 'Ann 🎉🧪';
const SQLISH = "'); DROP TABLE customers; --";
const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const nestedArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** Wrong values for a scalar or enum type (by type name). */
const BAD_BY_TYPE: Record<string, unknown[]> = {
  ID: ['not-a-uuid', '', HUGE, NUL, LONE_HIGH, `${UUID}|erased`, `${UUID.toUpperCase()}`, SQLISH, 42, true],
  String: ['', '   ', HUGE, NUL, LONE_HIGH, LONE_LOW, EMOJI, SQLISH, 42, { a: 1 }],
  Int: [-1, -2147483648, 2147483647, 2 ** 31, 1.5, '10', true],
  Float: ['NaN', 'x'],
  Boolean: ['yes', 1, null],
  DateTime: ['2026-02-30T00:00:00Z', 'yesterday', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', 1_700_000_000, `2026-01-01T00:00:00Z${NUL}`],
  Date: ['2026-02-30', '1850-01-01', '9999-12-31', '2999-01-01', '2026-1-1', 0, `1990-01-01${NUL}`],
  JSON: [nested(200), nestedArray(1500), { 'k\u0000': 1 }, { k: NUL }, { k: LONE_HIGH }, { big: 'y'.repeat(40_000) }, [1, 2], 'text', 12, null],
  _Any: [{ __typename: 'Customer', id: NUL }, { __typename: 'Nope', id: UUID }, { id: UUID }, 'text', nested(100)],
};
const BAD_ENUM = ['NOPE', '', 1, NUL];

/** Wrong values that only mean something for fields of that name. */
const BAD_BY_NAME: Record<string, unknown[]> = {
  email: ['not-an-email', 'ann@example.invalid', `ann@${'b'.repeat(300)}.com`, 'ANN@EXAMPLE.COM ', 'ann@exa\u0000mple.com', 'ann\uD83D@example.com'],
  countryCode: ['XX', 'nl', 'NLD', 'ÖÖ', '1'],
  postalCode: ['!!!', '1'.repeat(40), 'ABCDEFG'],
  phone: ['+1', 'abc', '+4415555501231234567', '٠١٢٣'],
  after: [
    'garbage',
    cursor(['CREATED_AT:DESC', '2026-02-30 00:00:00+00', UUID]),
    cursor(['EMAIL:ASC', NUL, UUID]),
    cursor(['AUDIT:CREATED_AT:DESC', '2026-02-30T00:00:00.000000Z', UUID]),
    cursor(['AUDIT:CREATED_AT:DESC', '2026-01-01T00:00:00.000000Z', 'not-a-uuid']),
    cursor([]),
    cursor(nestedArray(500) as unknown[]),
  ],
  auditAfter: ['garbage', cursor(['AUDIT:CREATED_AT:DESC', '2026-02-30T00:00:00.000000Z', UUID]), cursor(['AUDIT:CREATED_AT:DESC', NUL, UUID])],
  first: [-5, 0, 1_000_000],
  password: ['short', 'é'.repeat(40), NUL.repeat(4)],
  newPassword: ['short', 'é'.repeat(40)],
  code: ['12345', 'abcdef', '1'.repeat(100)],
  twoFactorCode: ['12345', 'abcdef-ghij'],
  token: ['short', 'x'.repeat(43)],
  value: [{ op: 'x' }, [], ['a', 1, null], 'not-a-number', -Infinity],
  weight: [-1001, 1001],
  minScore: [0, -1],
  rules: [[], Array.from({ length: 21 }, () => ({ field: 'TOTAL_ORDERS', operator: 'GT', value: 1 }))],
  eventTypes: [Array.from({ length: 1000 }, (_, i) => `t${i}`)],
  status: [[], ['NOPE']],
};

/** A valid value for an argument or input field, so that one bad value reaches as deep as it can. */
function validValue(type: GraphQLInputType, name: string, coordinate: string): unknown {
  const t = getNullableType(type);
  if (isListType(t)) return [validValue(t.ofType, name, coordinate)];
  if (isEnumType(t)) return t.getValues()[0].value;
  if (isInputObjectType(t)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(t.getFields()))
      if (isNonNullType(f.type) && f.defaultValue === undefined) out[f.name] = validValue(f.type, f.name, `${t.name}.${f.name}`);
    if (t.name === 'SegmentRuleInput') Object.assign(out, { field: 'TOTAL_ORDERS', operator: 'GT', value: 1 });
    return out;
  }
  switch (getNamedType(t).name) {
    case 'ID':
      return idFor(name, coordinate);
    case 'Int':
      return name === 'first' ? 5 : 1;
    case 'Boolean':
      return false;
    case 'Date':
      return '1990-01-01';
    case 'DateTime':
      return '2026-01-01T00:00:00Z';
    case 'JSON':
      return {};
    default:
      return STRING_BY_NAME[name] ?? 'Corpus';
  }
}

const STRING_BY_NAME: Record<string, string> = {
  email: 'corpus@example.com',
  password: 'correct horse battery',
  newPassword: 'correct horse battery 2',
  currentPassword: 'correct horse battery',
  code: '123456',
  twoFactorCode: '123456',
  token: 'x'.repeat(43),
  countryCode: 'NL',
  postalCode: '3011 AA',
  addressLine1: '1 Harbour Road',
  city: 'Rotterdam',
  phone: '+14155550123',
};

/** Ids of rows that exist, so cases get past "not found" (erasing ones get rows of their own). */
function idFor(name: string, coordinate: string): string {
  if (name === 'productId') return 'sku-1';
  if (coordinate === 'Mutation.deleteCustomer') return ids.erasable;
  if (coordinate === 'Mutation.deleteCustomerGroup') return ids.erasableGroup;
  if (name === 'addressId' || /Address$/.test(coordinate)) return ids.address;
  if (name === 'groupId' || /Group$/.test(coordinate)) return ids.group;
  if (name === 'segmentId' || /Segment$/.test(coordinate)) return ids.segment;
  return ids.customer;
}

// ---------------------------------------------------------------------------------------------
// Cases

interface Case {
  name: string;
  operation: 'query' | 'mutation' | 'subscription';
  query: string;
  variables: Record<string, unknown>;
}

/** `path` into the variables: ['input', 'email'], ['rules', 0, 'weight'], ... */
type Path = (string | number)[];

function setPath(target: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(target);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    node[key] ??= typeof key === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = value;
  return copy;
}

/** Every place a value can go below an argument: itself, and input fields two levels down. */
function* paths(type: GraphQLInputType, path: Path, name: string, depth = 0): Generator<{ path: Path; type: GraphQLInputType; name: string }> {
  yield { path, type, name };
  const t = getNullableType(type);
  const inner = isListType(t) ? getNullableType(t.ofType) : t;
  if (depth >= 2 || !isInputObjectType(inner)) return;
  for (const f of Object.values(inner.getFields())) yield* paths(f.type, isListType(t) ? [...path, 0, f.name] : [...path, f.name], f.name, depth + 1);
}

function badValues(type: GraphQLInputType, name: string): unknown[] {
  const named = getNamedType(type);
  const byType = isEnumType(named) ? BAD_ENUM : isScalarType(named) ? (BAD_BY_TYPE[named.name] ?? []) : ['not an object', 12, []];
  const values = [...(BAD_BY_NAME[name] ?? []), ...byType];
  // A required value left null is a case too.
  return isNonNullType(type) ? [...values, null] : values;
}

function selectionOf(field: GraphQLField<unknown, unknown>): string {
  return isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
}

function casesFor(root: GraphQLObjectType, operation: Case['operation']): Case[] {
  const out: Case[] = [];
  for (const field of Object.values(root.getFields())) {
    if (field.args.length === 0 || field.name === '_service') continue;
    const coordinate = `${root.name}.${field.name}`;
    const decl = field.args.map((a: GraphQLArgument) => `$${a.name}: ${a.type}`).join(', ');
    const use = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
    const query = `${operation} Corpus(${decl}) { ${field.name}(${use})${selectionOf(field)} }`;
    const base: Record<string, unknown> = {};
    for (const a of field.args) if (isNonNullType(a.type)) base[a.name] = validValue(a.type, a.name, coordinate);
    if (field.name === '_entities') base.representations = [{ __typename: 'Customer', id: ids.customer }];
    for (const arg of field.args) {
      for (const at of paths(arg.type, [arg.name], arg.name)) {
        for (const value of badValues(at.type, at.name)) {
          out.push({ name: `${coordinate} ${at.path.join('.')}=${show(value)}`, operation, query, variables: setPath(base, at.path, value) });
        }
      }
    }
    // A required argument left out (a validation error, before any resolver).
    const required = field.args.find((a) => isNonNullType(a.type));
    if (required) {
      const { [required.name]: _omitted, ...rest } = base;
      out.push({ name: `${coordinate} without ${required.name}`, operation, query, variables: rest });
    }
  }
  return out;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...(${text.length})` : text;
}

// ---------------------------------------------------------------------------------------------
// Sending and judging

interface Outcome {
  transport: string;
  caller: string;
  name: string;
  status?: number;
  body: string;
}

const callers = {
  anonymous: () => null,
  CUSTOMER: () => customerToken,
  ADMIN: () => tokens.admin(),
};
type Caller = keyof typeof callers;

async function overPost(c: Case, caller: Caller): Promise<Outcome> {
  const token = callers[caller]();
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: c.query, variables: c.variables }),
  });
  return { transport: 'POST', caller, name: c.name, status: res.status, body: await res.text() };
}

async function overGet(c: Case, caller: Caller): Promise<Outcome> {
  const token = callers[caller]();
  const search = new URLSearchParams({ query: c.query, variables: JSON.stringify(c.variables) });
  const res = await fetch(`${server.url}?${search}`, {
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { transport: 'GET', caller, name: c.name, status: res.status, body: await res.text() };
}

async function raw(name: string, init: RequestInit, url = server.url): Promise<Outcome> {
  const res = await fetch(url, init);
  return { transport: 'raw', caller: 'anonymous', name, status: res.status, body: await res.text() };
}

/** What no answer may contain: the internal code, or a stack (a `stack` key, "at fn (file:line:col)" frames). */
function problemsOf(o: Outcome): string[] {
  const problems: string[] = [];
  if (o.status !== undefined && o.status >= 500) problems.push(`HTTP ${o.status}`);
  if (o.body.includes('INTERNAL_SERVER_ERROR')) problems.push('INTERNAL_SERVER_ERROR');
  if (/"stack(trace)?"|(\\n|\n)\s*at \S+ \(|\bat \S+ \([^)]*:\d+:\d+\)/.test(o.body)) problems.push('stack trace');
  return problems;
}

/** Runs `jobs` a few at a time: the server shares two cores with the test and PostgreSQL. */
async function pool<T>(jobs: (() => Promise<T>)[], concurrency = 6): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

function failuresOf(outcomes: Outcome[]): string[] {
  return outcomes.flatMap((o) => {
    const problems = problemsOf(o);
    return problems.length ? [`${o.transport} ${o.caller} ${o.name}: ${problems.join(', ')} ${o.body.slice(0, 300)}`] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// graphql-ws: each case is a list of protocol messages sent after connection_init, and what
// came back within a short window. Add a case: push onto WS_CASES (lifecycle cases can use
// `steps` with their own messages).

interface WsCase {
  name: string;
  token: string | null;
  /** Messages after the connection_ack (graphql-ws protocol: subscribe, complete, ...). */
  steps: () => Record<string, unknown>[];
  /** How long to collect answers after the last step. */
  windowMs?: number;
}

interface WsOutcome extends Outcome {
  closeCode?: number;
}

function runWsCase(c: WsCase): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const received: string[] = [];
    let settled = false;
    let windowTimer: NodeJS.Timeout | undefined;
    const finish = (closeCode?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(windowTimer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
      resolve({ transport: 'ws', caller: c.token ? 'token' : 'anonymous', name: c.name, body: received.join('\n'), closeCode });
    };
    const timer = setTimeout(() => finish(), 5000);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: c.token ? { authorization: `Bearer ${c.token}` } : {} })));
    socket.on('message', (data) => {
      const text = data.toString();
      received.push(text);
      if (JSON.parse(text).type === 'connection_ack') {
        for (const step of c.steps()) socket.send(JSON.stringify(step));
        windowTimer = setTimeout(() => finish(), c.windowMs ?? 250);
      }
    });
    socket.on('close', (code) => finish(code));
    socket.on('error', () => finish());
  });
}

/** graphql-ws closes with 4500 (or 1011) when the server itself failed. */
function wsProblemsOf(o: WsOutcome): string[] {
  const problems = problemsOf(o);
  if (o.closeCode === 4500 || o.closeCode === 1011) problems.push(`closed ${o.closeCode}`);
  return problems;
}

const subscribeStep = (c: Case, id = '1') => ({ id, type: 'subscribe', payload: { query: c.query, variables: c.variables } });

// ---------------------------------------------------------------------------------------------

describe('bad-input corpus (production mode)', () => {
  const schema = buildCustomerSchema().schema;
  let queries: Case[] = [];
  let mutations: Case[] = [];
  let subscriptions: Case[] = [];
  beforeAll(() => {
    queries = casesFor(schema.getQueryType()!, 'query');
    mutations = casesFor(schema.getMutationType()!, 'mutation');
    subscriptions = casesFor(schema.getSubscriptionType()!, 'subscription');
  });

  it('covers every query, mutation and subscription field with arguments, with at least 150 cases', () => {
    const covered = new Set([...queries, ...mutations, ...subscriptions].map((c) => c.name.split(' ')[0]));
    for (const root of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.values(root.getFields())) {
        if (field.args.length && field.name !== '_service') expect(covered).toContain(`${root.name}.${field.name}`);
      }
    }
    expect(queries.length + mutations.length + subscriptions.length).toBeGreaterThanOrEqual(150);
  });

  it('answers every case over HTTP POST, as ADMIN, CUSTOMER or anonymous caller, without a 500, INTERNAL_SERVER_ERROR or stack', async () => {
    // Half of the cases as ADMIN (who gets furthest into resolvers), the rest as the customer
    // (who owns the ids used) or anonymously: the checks must hold before authorization too.
    const rotation: Caller[] = ['ADMIN', 'CUSTOMER', 'ADMIN', 'anonymous'];
    const outcomes = await pool([...queries, ...mutations].map((c, i) => () => overPost(c, rotation[i % rotation.length])));
    expect(outcomes.length).toBeGreaterThanOrEqual(300);
    expect(failuresOf(outcomes)).toEqual([]);
  }, 240_000);

  it('answers query cases over HTTP GET, and subscriptions and mutations sent over HTTP, the same way', async () => {
    const jobs = [
      ...queries.map((c, i) => () => overGet(c, (['ADMIN', 'CUSTOMER', 'anonymous'] as const)[i % 3])),
      // GET cannot carry a mutation; a subscription over plain HTTP is refused before any resolver.
      ...mutations.filter((_, i) => i % 10 === 0).map((c) => () => overGet(c, 'ADMIN')),
      ...subscriptions.map((c) => () => overPost(c, 'ADMIN')),
    ];
    expect(failuresOf(await pool(jobs))).toEqual([]);
  }, 120_000);

  it('answers malformed request bodies and protocol misuse with client errors', async () => {
    const json = { 'content-type': 'application/json' };
    const post = (body: string, headers: Record<string, string> = json) => ({ method: 'POST', headers, body });
    const outcomes = await pool([
      () => raw('not JSON', post('{not json')),
      () => raw('empty body', post('')),
      () => raw('null body', post('null')),
      () => raw('string body', post('"query"')),
      () => raw('batch', post(JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]))),
      () => raw('query not a string', post(JSON.stringify({ query: 1 }))),
      () => raw('variables not an object', post(JSON.stringify({ query: '{ me { id } }', variables: 'x' }))),
      () => raw('operationName not a string', post(JSON.stringify({ query: '{ me { id } }', operationName: 5 }))),
      () => raw('two operations, none named', post(JSON.stringify({ query: 'query A { me { id } } query B { me { id } }' }))),
      () => raw('unknown operationName', post(JSON.stringify({ query: 'query A { me { id } }', operationName: 'B' }))),
      () => raw('syntax error', post(JSON.stringify({ query: '{ me { id ' }))),
      () => raw('NUL in the document', post(JSON.stringify({ query: '{ me { id } }\u0000' }))),
      () =>
        raw(
          'deeply nested variables (100,000 levels)',
          post(`{"query":"query($m: JSON) { __typename }","variables":{"m":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`),
        ),
      () => raw('text/plain body', post('{ me { id } }', { 'content-type': 'text/plain' })),
      () =>
        raw('APQ hash mismatch', post(JSON.stringify({ query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }))),
      () => raw('APQ not found', post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } }))),
      () => raw('APQ bad version', post(JSON.stringify({ query: '{ me { id } }', extensions: { persistedQuery: { version: 'x' } } }))),
      () =>
        raw(
          'callback extension that is no object',
          post(JSON.stringify({ query: 'subscription { customerChanged { eventId } }', extensions: { subscription: 'x' } })),
        ),
      () =>
        raw(
          'mutation over GET',
          { method: 'GET', headers: { 'apollo-require-preflight': 'true' } },
          `${server.url}?query=${encodeURIComponent('mutation { logout }')}`,
        ),
      () => raw('GET without CSRF header', { method: 'GET' }, `${server.url}?query=${encodeURIComponent('{ me { id } }')}`),
      () =>
        raw(
          'GET with bad variables JSON',
          { method: 'GET', headers: { 'apollo-require-preflight': 'true' } },
          `${server.url}?query=${encodeURIComponent('{ me { id } }')}&variables=%7Bnope`,
        ),
      () => raw('bad token', { method: 'POST', headers: { ...json, authorization: 'Bearer x.y.z' }, body: JSON.stringify({ query: '{ me { id } }' }) }),
      () =>
        raw('token of a customer that does not exist', {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${tokens.customer(UUID)}` },
          body: JSON.stringify({ query: '{ me { id } }' }),
        }),
      () => raw('unknown field', post(JSON.stringify({ query: '{ nope }' }))),
      () => raw('introspection in production', post(JSON.stringify({ query: '{ __schema { types { name } } }' }))),
      () => raw('_entities for an unknown type', post(JSON.stringify({ query: '{ _entities(representations: [{ __typename: "Nope" }]) { __typename } }' }))),
    ]);
    expect(outcomes.every((o) => o.status! >= 200)).toBe(true);
    expect(failuresOf(outcomes)).toEqual([]);
  }, 60_000);

  it('answers cases over graphql-ws without INTERNAL_SERVER_ERROR, a stack, or a close for a server failure', async () => {
    const cases: WsCase[] = [
      // Every subscription case, as ADMIN and as the customer.
      ...subscriptions.flatMap((c, i) => [
        { name: c.name, token: tokens.admin(), steps: () => [subscribeStep(c)] },
        { name: c.name, token: i % 2 ? customerToken : null, steps: () => [subscribeStep(c)] },
      ]),
      // A sample of queries and mutations sent over the socket.
      ...[...queries, ...mutations].filter((_, i) => i % 12 === 0).map((c) => ({ name: c.name, token: tokens.admin(), steps: () => [subscribeStep(c)] })),
      ...WS_CASES(),
    ];
    const outcomes = await pool(
      cases.map((c) => () => runWsCase(c)),
      8,
    );
    expect(outcomes.length).toBeGreaterThanOrEqual(50);
    const failures = outcomes.flatMap((o) => {
      const problems = wsProblemsOf(o);
      return problems.length ? [`${o.caller} ${o.name}: ${problems.join(', ')} ${o.body.slice(0, 300)}`] : [];
    });
    expect(failures).toEqual([]);
  }, 120_000);

  /** Cases that need more than one subscribe: lifecycle and protocol cases go here. */
  function WS_CASES(): WsCase[] {
    const changed = (variables: Record<string, unknown>) => ({ query: 'subscription($id: ID) { customerChanged(customerId: $id) { eventId } }', variables });
    return [
      {
        name: 'two subscribes on one socket, one with a bad id',
        token: tokens.admin(),
        steps: () => [
          { id: 'a', type: 'subscribe', payload: changed({ id: 'not-a-uuid' }) },
          { id: 'b', type: 'subscribe', payload: changed({ id: ids.customer }) },
        ],
      },
      { name: 'an id with NUL', token: customerToken, steps: () => [{ id: 'a', type: 'subscribe', payload: changed({ id: `${ids.customer}\u0000` }) }] },
      {
        name: 'a deep JSON filter',
        token: tokens.admin(),
        steps: () => [
          {
            id: 'a',
            type: 'subscribe',
            payload: { query: 'subscription($f: AuditEventFilter) { auditEventRecorded(filter: $f) { id } }', variables: { f: { eventTypes: [NUL] } } },
          },
        ],
      },
      {
        name: 'a mutation with deep metadata',
        token: tokens.admin(),
        steps: () => [
          {
            id: 'a',
            type: 'subscribe',
            payload: {
              query: 'mutation($id: ID!, $m: JSON) { updateCustomer(id: $id, input: { metadata: $m }) { id } }',
              variables: { id: ids.customer, m: nested(300) },
            },
          },
        ],
      },
    ];
  }

  it('logged nothing at error level while answering the corpus', () => {
    const levels = logLines.map((line) => (JSON.parse(line) as { level: number }).level);
    // The capture works: one line per operation at info came through it.
    expect(levels.filter((l) => l === 30).length).toBeGreaterThanOrEqual(100);
    expect(logLines.filter((_, i) => levels[i] >= 50)).toEqual([]);
  });
});
