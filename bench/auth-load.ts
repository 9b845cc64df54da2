import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { start as startScript, stop } from './processes';

const start = (env: Record<string, string>) => startScript('dist/src/main.js', env);

/**
 * `npm run bench:auth`: can one customer slow everyone's logins by making us hash? bcrypt runs
 * on libuv's four threads, which every login needs too. One customer token hammers
 * `changePassword` (a compare and a hash each) from many addresses, while other customers
 * sign in and a service reads customers; their latency is measured without the abuse, then
 * with it, with the per-customer and per-address limits on (the default allowance) and, for
 * comparison, effectively off.
 *
 * Environment: BENCH_PG_URL (admin URL), BENCH_BCRYPT_COST (12, the default of the service),
 * BENCH_SECONDS (15 per phase), BENCH_ATTACK_CONNECTIONS (32).
 */
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ATTACK_CONNECTIONS = Number(process.env.BENCH_ATTACK_CONNECTIONS ?? 32);
const DB_NAME = 'customer_bench_auth';
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const PASSWORD = 'correct horse battery';
const SIGNERS = 4;

function dsn(db: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

const percentile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] : NaN);

async function gql(
  port: number,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ errors?: { extensions?: { code?: string } }[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }';
const CHANGE = 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';

/** SIGNERS customers signing in one after another, each from its own address; latencies in ms. */
async function signIns(port: number, emails: string[], until: number): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  await Promise.all(
    emails.map(async (email, i) => {
      while (Date.now() < until) {
        const started = performance.now();
        const res = await gql(port, LOGIN, { e: email, p: PASSWORD }, { 'x-forwarded-for': `198.51.100.${i + 1}` });
        ms.push(performance.now() - started);
        if (res.errors) failed++;
      }
    }),
  );
  return { ms, failed };
}

async function reads(port: number, ids: string[], seconds: number): Promise<autocannon.Result> {
  const token = jwt.sign({ sub: 'bench', role: 'SERVICE' }, SECRET, { expiresIn: '1h' });
  return autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    connections: 8,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id email } }', variables: { id: ids[Math.floor(Math.random() * ids.length)] } }),
        }),
      },
    ],
  });
}

/** A query that costs no bcrypt: the same flood of it says what any flood costs the others. */
const HARMLESS = '{ me { id } }';

/** `query` (changePassword by default) as fast as ATTACK_CONNECTIONS connections allow, each request from a new address. */
async function attack(port: number, attackerId: string, seconds: number, query = CHANGE): Promise<{ changed: number; refused: number }> {
  const token = jwt.sign({ sub: attackerId, role: 'CUSTOMER' }, SECRET, { expiresIn: '1h' });
  let n = 0;
  const counts = { changed: 0, refused: 0 };
  await autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    connections: ATTACK_CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          n++;
          return {
            ...req,
            headers: { ...req.headers, 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
            body: JSON.stringify({ query, variables: query === CHANGE ? { c: PASSWORD, n: PASSWORD } : {} }),
          };
        },
        onResponse: (_status, body) => {
          if (body.includes('"changePassword":true') || body.includes('"me":{')) counts.changed++;
          else counts.refused++;
        },
      },
    ],
  });
  return counts;
}

interface Phase {
  name: string;
  loginP50: number;
  loginP99: number;
  logins: number;
  loginErrors: number;
  readP99: number;
  readRps: number;
  attackOk?: number;
  attackRefused?: number;
}

async function phase(name: string, port: number, emails: string[], ids: string[], attackerId: string | null, query?: string): Promise<Phase> {
  process.stdout.write(`measuring: ${name}...\n`);
  const until = Date.now() + SECONDS * 1000;
  const [login, read, abuse] = await Promise.all([
    signIns(port, emails, until),
    reads(port, ids, SECONDS),
    attackerId ? attack(port, attackerId, SECONDS, query) : Promise.resolve(null),
  ]);
  return {
    name,
    loginP50: percentile(login.ms, 0.5),
    loginP99: percentile(login.ms, 0.99),
    logins: login.ms.length,
    loginErrors: login.failed,
    readP99: read.latency.p99,
    readRps: read.requests.average,
    ...(abuse ? { attackOk: abuse.changed, attackRefused: abuse.refused } : {}),
  };
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const env = {
    CUSTOMER_DATABASE_DSN: dsn(DB_NAME),
    CUSTOMER_JWT_SECRET: SECRET,
    CUSTOMER_LOG_LEVEL: 'info',
    CUSTOMER_LOG_OPERATIONS: 'false',
    CUSTOMER_HTTP_PORT: '0',
    NODE_ENV: 'production',
    CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32),
    CUSTOMER_BCRYPT_COST: String(COST),
  };
  const first = await start(env);
  await stop(first);

  // Customers with one known password, hashed once at the service's cost.
  const c = new pg.Client({ connectionString: dsn(DB_NAME) });
  await c.connect();
  const hash = await bcrypt.hash(PASSWORD, COST);
  const { rows } = await c.query<{ id: string; email: string }>(
    `INSERT INTO customers (email, first_name, group_id)
     SELECT 'auth' || i || '@example.com', 'Auth' || i, (SELECT id FROM customer_groups WHERE is_default)
       FROM generate_series(1, 1000) AS i RETURNING id, email`,
  );
  await c.query('INSERT INTO customer_preferences (customer_id) SELECT id FROM customers');
  await c.query('INSERT INTO customer_credentials (customer_id, password_hash) SELECT id, $1 FROM customers', [hash]);
  await c.end();
  const ids = rows.map((r) => r.id);
  const emails = rows.slice(1, 1 + SIGNERS).map((r) => r.email);
  const attackerId = rows[0].id;

  const results: Phase[] = [];
  for (const [label, limit] of [
    ['limits on (default allowance, 30 per 15 min)', '30'],
    ['limits effectively off (1,000,000)', '1000000'],
  ] as const) {
    const service = await start({ ...env, CUSTOMER_AUTH_RATE_LIMIT: limit });
    try {
      if (!results.length) {
        results.push(await phase('no abuse', service.port, emails, ids, null));
        results.push(await phase(`the same flood of \`${HARMLESS}\` (no bcrypt work)`, service.port, emails, ids, attackerId, HARMLESS));
      }
      results.push(await phase(`one customer hammering changePassword, ${label}`, service.port, emails, ids, attackerId));
    } finally {
      await stop(service);
    }
  }

  const lines = [
    `Auth load: bcrypt cost ${COST}, ${SIGNERS} customers signing in one after another each, 8 connections reading customer(id), ${SECONDS} s per phase; attacker: ${ATTACK_CONNECTIONS} connections of changePassword, each request from a new address. ${new Date().toISOString()}`,
    '',
    '| phase | logins | login p50 ms | login p99 ms | login errors | reads/s | read p99 ms | attacker: answered / refused |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.logins} | ${r.loginP50.toFixed(0)} | ${r.loginP99.toFixed(0)} | ${r.loginErrors} | ${r.readRps.toFixed(0)} | ${r.readP99} | ${r.attackOk === undefined ? '-' : `${r.attackOk} / ${r.attackRefused}`} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
