import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { start } from './processes';
import { relayThroughput, subscriberLatency } from './events';
import { renderChart } from './chart';
import { segmentBenchmark } from './segments';

/**
 * `npm run bench`: seeds PostgreSQL with 100,000 customers, starts the subgraph and the floor
 * (plain http + pg) as separate processes, and loads each with the same requests at a fixed
 * concurrency. Prints requests/s and p50/p99 latency per scenario and the ratio to the floor,
 * and writes the table to bench/results/latest.md.
 *
 * This machine is noisy (two cores shared by the load generator, both servers and
 * PostgreSQL), so each pair is measured in alternating rounds and the medians are reported.
 *
 * Environment: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_CONNECTIONS (32), BENCH_SECONDS (5 per round), BENCH_ROUNDS (3), BENCH_CUSTOMERS (100000),
 * BENCH_DB (customer_bench).
 * For iterating on one path: BENCH_ONLY (comma-separated scenario keys: byId, page, list, me,
 * entities), BENCH_SKIP_EVENTS=1 and BENCH_SKIP_SEGMENTS=1 leave out the later parts, and
 * BENCH_SERVICE_NODE_ARGS are passed to node for the measured service (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`: the profile is written when the benchmark stops it).
 */
const ROOT = path.resolve(__dirname, '../..');
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100000);
// BENCH_DB: another name lets two checkouts on one PostgreSQL run the benchmark without dropping each other's database.
const DB_NAME = process.env.BENCH_DB ?? 'customer_bench';
/** How the service is started in production (Dockerfile, `npm start`): README, Performance. */
const RUNTIME_FLAGS = ['--max-semi-space-size=64'];
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';

function dsn(db: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function createDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
}

async function seedRows(): Promise<string[]> {
  const c = new pg.Client({ connectionString: dsn(DB_NAME) });
  await c.connect();
  await c.query(
    `INSERT INTO customers (email, first_name, last_name, phone, group_id, created_at)
     SELECT 'customer' || i || '@example.com', 'First' || i, 'Last' || i, '+1415555' || lpad((i % 10000)::text, 4, '0'),
            (SELECT id FROM customer_groups WHERE code = CASE WHEN i % 5 = 0 THEN 'B2B' ELSE 'B2C' END),
            now() - (i || ' seconds')::interval
       FROM generate_series(1, $1) AS i`,
    [CUSTOMERS],
  );
  await c.query('INSERT INTO customer_preferences (customer_id) SELECT id FROM customers');
  // Three addresses each, as a shop's customers have: a default of each type and an older
  // shipping address.
  await c.query(
    `INSERT INTO customer_addresses (customer_id, type, is_default, first_name, last_name, address_line_1, city, postal_code,
                                     country_code, phone, created_at, updated_at)
     SELECT c.id, t.type, t.is_default, c.first_name, c.last_name, (t.n * 7) || ' Harbour Road', 'City ' || (c.n % 997),
            lpad(((c.n * 37 + t.n) % 100000)::text, 5, '0'), 'US', c.phone, c.created_at + t.age, c.created_at + t.age
       FROM (SELECT id, first_name, last_name, phone, created_at, row_number() OVER () AS n FROM customers) c
      CROSS JOIN (VALUES (1, 'SHIPPING', TRUE, interval '2 days'), (2, 'BILLING', TRUE, interval '1 day'),
                         (3, 'SHIPPING', FALSE, interval '0 days')) AS t (n, type, is_default, age)`,
  );
  // Steady state before measuring: autovacuum would otherwise process the fresh rows in the
  // middle of a later phase, and a checkpoint owed by the seeding land in one.
  await c.query('VACUUM ANALYZE');
  await c.query('CHECKPOINT');
  const ids = (await c.query<{ id: string }>('SELECT id FROM customers')).rows.map((r) => r.id);
  await c.end();
  return ids;
}

interface Result {
  scenario: string;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One measured request shape; the floor answers the same body (it looks at `operationName`). */
interface Scenario {
  key: string;
  name: string;
  /** The bearer token of each request (the floor ignores it, except `me`'s subject). */
  token: () => string;
  body: () => string;
}

const constant = (body: object) => {
  const text = JSON.stringify(body);
  return () => text;
};

/**
 * One request to each server before measuring: both must answer without errors, and with the
 * same JSON (a 200 with `errors` would otherwise be counted as a fast answer).
 */
async function sameAnswer(scenario: Scenario, ports: [number, number]): Promise<void> {
  const [body, token] = [scenario.body(), scenario.token()];
  const answers = await Promise.all(
    ports.map(async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      return (await res.text()).trim();
    }),
  );
  if (answers[0].includes('"errors"') || answers[0] !== answers[1]) {
    throw new Error(`${scenario.name}: the subgraph and the floor answer differently:\n${answers[0].slice(0, 400)}\n${answers[1].slice(0, 400)}`);
  }
}

/** Alternating rounds of subgraph and floor; medians of each. */
async function pair(scenario: Scenario, ports: [number, number]): Promise<[Result, Result]> {
  await sameAnswer(scenario, ports);
  const runs: [Result[], Result[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    runs[0].push(await load(scenario, 'subgraph', ports[0]));
    runs[1].push(await load(scenario, 'floor (http + pg)', ports[1]));
  }
  const summarize = (rs: Result[]): Result => ({
    ...rs[0],
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
  });
  return [summarize(runs[0]), summarize(runs[1])];
}

async function load(scenario: Scenario, target: string, port: number): Promise<Result> {
  const opts = {
    url: `http://127.0.0.1:${port}/graphql`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST' as const,
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${scenario.token()}` },
          body: scenario.body(),
        }),
      },
    ],
  };
  await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, pools, caches
  const r = await autocannon(opts);
  const bad = r.non2xx + r.errors + r.timeouts;
  return { scenario: scenario.name, target, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: bad };
}

/** Relay throughput and commit-to-subscriber latency across two instances via Redis. */
async function eventBenchmarks(env: Record<string, string>, ids: string[], admin: string, lines: string[]): Promise<void> {
  const redisAddr = process.env.BENCH_REDIS_ADDR ?? '127.0.0.1:6379';
  const ns = `bench-${process.pid}:`;
  const redisEnv = { ...env, CUSTOMER_REDIS_ADDR: redisAddr, CUSTOMER_EVENTS_NAMESPACE: ns };
  const a = await start('dist/src/main.js', { ...redisEnv, CUSTOMER_LOG_LEVEL: 'info' });
  const b = await start('dist/src/main.js', { ...redisEnv, CUSTOMER_LOG_LEVEL: 'info' });
  try {
    process.stdout.write('measuring commit-to-subscriber latency...\n');
    const latency = await subscriberLatency(`http://127.0.0.1:${a.port}/graphql`, `http://127.0.0.1:${b.port}/graphql`, admin, ids.slice(0, 200));
    lines.push(
      '',
      '| events | figure | target |',
      '|---|---:|---:|',
      `| commit-to-subscriber latency, 2 instances via Redis (${latency.events} of 1000 mutations) | p50 ${latency.p50} ms, p99 ${latency.p99} ms | p99 < 50 ms |`,
    );
  } finally {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a, b].map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : null)));
  }
  process.stdout.write('measuring relay throughput...\n');
  const relay = await relayThroughput(dsn(DB_NAME), redisAddr);
  lines.push(`| outbox relay throughput (${relay.events} events into the Redis stream) | ${relay.perSecond.toFixed(0)} events/s | >= 5000 events/s |`);
}

async function main(): Promise<void> {
  process.stdout.write(`seeding ${CUSTOMERS} customers...\n`);
  await createDatabase();
  const env = {
    CUSTOMER_DATABASE_DSN: dsn(DB_NAME),
    CUSTOMER_JWT_SECRET: SECRET,
    CUSTOMER_LOG_LEVEL: 'warn',
    CUSTOMER_HTTP_PORT: '0',
    NODE_ENV: 'production',
    CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32),
    // The floor keeps no access log; neither does the subgraph here (README: its cost).
    CUSTOMER_LOG_OPERATIONS: 'false',
  };
  // The service migrates the empty database on its first start; then we seed and restart it warm.
  const first = await start('dist/src/main.js', { ...env, CUSTOMER_LOG_LEVEL: 'info' });
  first.child.kill('SIGTERM');
  await new Promise((r) => first.child.once('exit', r));
  const ids = await seedRows();

  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Both servers run with the service's V8 flags (Dockerfile, npm start), so the floor is not handicapped.
  const service = await start('dist/src/main.js', { ...env, CUSTOMER_LOG_LEVEL: 'info' }, [...RUNTIME_FLAGS, ...nodeArgs]);
  const floor = await start('dist/bench/floor.js', { BENCH_DSN: dsn(DB_NAME) }, RUNTIME_FLAGS);
  const token = jwt.sign({ sub: 'bench', role: 'SERVICE' }, SECRET, { expiresIn: '1h' });
  const admin = jwt.sign({ sub: 'bench', role: 'ADMIN' }, SECRET, { expiresIn: '1h' });

  const randomId = () => ids[Math.floor(Math.random() * ids.length)];
  // Customers reading themselves: one token each (verified tokens are remembered, as in production).
  const customerTokens = ids.slice(0, 2000).map((id) => jwt.sign({ sub: id, role: 'CUSTOMER' }, SECRET, { expiresIn: '1h' }));
  const addressFields = 'addresses { id city postalCode isDefault }';
  const profile = `id email firstName lastName ${addressFields}`;
  const scenarios: Scenario[] = [
    {
      key: 'byId',
      name: 'customer(id)',
      token: () => token,
      body: () => JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id email firstName lastName status } }', variables: { id: randomId() } }),
    },
    {
      key: 'page',
      name: 'page of 50 + preferences + group',
      token: () => admin,
      body: constant({
        query: '{ customers(first: 50) { nodes { id email firstName lastName preferences { emailMarketing newsletter } group { code name } } } }',
      }),
    },
    {
      // The storefront/admin list of issue 18: the page, then the addresses of its customers.
      key: 'list',
      name: 'page of 50 + addresses (150)',
      token: () => admin,
      body: constant({
        operationName: 'CustomerList',
        query: `query CustomerList { customers(first: 50, orderBy: { field: CREATED_AT, direction: ASC }) { nodes { ${profile} } } }`,
      }),
    },
    {
      key: 'me',
      name: 'me + addresses',
      token: () => customerTokens[Math.floor(Math.random() * customerTokens.length)],
      body: constant({ operationName: 'Me', query: `query Me { me { ${profile} } }` }),
    },
    {
      // As a gateway sends them: 100 representations in one request, with the caller's token.
      key: 'entities',
      name: '_entities: 100 customers + addresses',
      token: () => admin,
      body: () =>
        JSON.stringify({
          operationName: 'Entities',
          query: `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { ${profile} } } }`,
          variables: { representations: Array.from({ length: 100 }, () => ({ __typename: 'Customer', id: randomId() })) },
        }),
    },
  ];
  const only = process.env.BENCH_ONLY?.split(',').map((k) => k.trim());

  const results: Result[] = [];
  try {
    for (const scenario of scenarios) {
      if (only && !only.includes(scenario.key)) continue;
      process.stdout.write(`measuring ${scenario.name}...\n`);
      results.push(...(await pair(scenario, [service.port, floor.port])));
    }
  } finally {
    service.child.kill('SIGTERM');
    floor.child.kill('SIGTERM');
    await Promise.all([service, floor].map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : null)));
  }

  const lines = [
    `Benchmark: ${CUSTOMERS} customers, ${CONNECTIONS} connections, median of ${ROUNDS} alternating rounds of ${SECONDS} s, ${new Date().toISOString()}`,
    '',
    '| scenario | server | requests/s | p50 ms | p99 ms | errors | ratio to floor |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (let i = 0; i < results.length; i += 2) {
    const [s, f] = [results[i], results[i + 1]];
    lines.push(`| ${s.scenario} | ${s.target} | ${s.rps.toFixed(0)} | ${s.p50} | ${s.p99} | ${s.errors} | **${(s.rps / f.rps).toFixed(2)}** |`);
    lines.push(`| ${f.scenario} | ${f.target} | ${f.rps.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.errors} | 1.00 |`);
  }
  if (process.env.BENCH_SKIP_EVENTS !== '1') await eventBenchmarks(env, ids, admin, lines);
  if (process.env.BENCH_SKIP_SEGMENTS !== '1') {
    const s = await segmentBenchmark();
    const k = (n: number) => n.toLocaleString('en-US');
    lines.push(
      '',
      `| segments (${k(s.customers)} customers, three-rule segment) | figure | target |`,
      '|---|---:|---:|',
      `| first refresh: ${k(s.firstAdded)} customers join (one event each, batched in the outbox) | ${s.firstRefreshSeconds.toFixed(1)} s | < 10 s |`,
      `| refresh again, nothing moves | ${s.againRefreshSeconds.toFixed(1)} s | < 10 s |`,
      `| refresh after 1 % of customers changed (${k(s.moved.added)} in, ${k(s.moved.removed)} out) | ${s.movedRefreshSeconds.toFixed(1)} s | < 10 s |`,
      `| re-score one customer against 5 active segments (inside its transaction) | p50 ${s.rescoreP50.toFixed(1)} ms, p99 ${s.rescoreP99.toFixed(1)} ms | p99 < 5 ms |`,
      `| evaluateCustomerSegments (transaction, row lock, re-score, commit) | p50 ${s.evaluateP50.toFixed(1)} ms, p99 ${s.evaluateP99.toFixed(1)} ms | |`,
    );
  }
  const table = lines.join('\n');
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/latest.md'), `${table}\n\n![throughput and p99 per scenario](latest.svg)\n`);
  const chartRows = [];
  for (let i = 0; i < results.length; i += 2) {
    chartRows.push({ scenario: results[i].scenario, subgraph: results[i], floor: results[i + 1] });
  }
  fs.writeFileSync(path.join(ROOT, 'bench/results/latest.svg'), renderChart(chartRows, `customer subgraph vs floor, ${new Date().toISOString().slice(0, 10)}`));
  process.stdout.write(`\n${table}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
