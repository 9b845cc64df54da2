import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';

/**
 * CPU time per request of the subgraph and of the floor for one request body, read from
 * /proc (user + system time of each server process over a fixed number of requests). Unlike
 * requests/s on this shared machine, this hardly moves with the load of other processes:
 * a tool for finding where time goes, not part of `npm run bench`.
 *
 * node dist/bench/cpu-per-request.js <dsn> <list|me|entities|byId> [requests]
 * (the database seeded by `npm run bench`, e.g. with BENCH_DB=customer_bench_x BENCH_ONLY=byId).
 * CPU_PROF_DIR=<dir>: the service writes a V8 CPU profile there when it stops.
 */
const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const [dsn, scenario, count = '3000'] = process.argv.slice(2);

function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

function start(script: string, env: Record<string, string>): Promise<{ pid: number; port: number; stop: () => void }> {
  const args = [
    ...(process.env.NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(process.env.CPU_PROF_DIR && script.includes('main') ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF_DIR}`] : []),
  ];
  const child = spawn(process.execPath, [...args, path.join(ROOT, script)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)[^\n]*listening|listening \{"port":(\d+)\}/.exec(out);
      if (m) resolve({ pid: child.pid!, port: Number(m[1] ?? m[2]), stop: () => child.kill('SIGTERM') });
    });
  });
}

async function main(): Promise<void> {
  const service = await start('dist/src/main.js', {
    CUSTOMER_DATABASE_DSN: dsn,
    CUSTOMER_JWT_SECRET: SECRET,
    CUSTOMER_LOG_LEVEL: 'info',
    CUSTOMER_HTTP_PORT: '0',
    NODE_ENV: 'production',
    CUSTOMER_2FA_ENCRYPTION_KEY: 'ab'.repeat(32),
    CUSTOMER_LOG_OPERATIONS: 'false',
  });
  const floor = await start('dist/bench/floor.js', { BENCH_DSN: dsn });
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: dsn });
  await c.connect();
  const ids = (await c.query<{ id: string }>('SELECT id FROM customers LIMIT 2000')).rows.map((r) => r.id);
  await c.end();
  const admin = jwt.sign({ sub: 'bench', role: 'ADMIN' }, SECRET, { expiresIn: '1h' });
  const mine = ids.map((id) => jwt.sign({ sub: id, role: 'CUSTOMER' }, SECRET, { expiresIn: '1h' }));
  const profile = 'id email firstName lastName addresses { id city postalCode isDefault }';
  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
  const shapes: Record<string, { token: () => string; body: () => string }> = {
    list: {
      token: () => admin,
      body: () =>
        JSON.stringify({
          operationName: 'CustomerList',
          query: `query CustomerList { customers(first: 50, orderBy: { field: CREATED_AT, direction: ASC }) { nodes { ${profile} } } }`,
        }),
    },
    me: { token: () => pick(mine), body: () => JSON.stringify({ operationName: 'Me', query: `query Me { me { ${profile} } }` }) },
    entities: {
      token: () => admin,
      body: () =>
        JSON.stringify({
          operationName: 'Entities',
          query: `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { ${profile} } } }`,
          variables: { representations: Array.from({ length: 100 }, () => ({ __typename: 'Customer', id: pick(ids) })) },
        }),
    },
    byId: {
      token: () => admin,
      body: () => JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id email firstName lastName status } }', variables: { id: pick(ids) } }),
    },
  };
  const shape = shapes[scenario];
  const run = (port: number, amount: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}/graphql`,
      connections: 32,
      amount,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${shape.token()}` }, body: shape.body() }),
        },
      ],
    });
  for (const [name, server] of [
    ['subgraph', service],
    ['floor', floor],
  ] as const) {
    await run(server.port, Number(count)); // warm-up
    const before = cpuMs(server.pid);
    const r = await run(server.port, Number(count));
    const used = cpuMs(server.pid) - before;
    process.stdout.write(
      `${scenario} ${name}: ${((used * 1000) / r.requests.total).toFixed(0)} µs CPU per request (${r.requests.total} requests, ${r.non2xx} non-2xx)\n`,
    );
  }
  service.stop();
  floor.stop();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
