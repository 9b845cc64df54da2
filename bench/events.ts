import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { PubSub } from 'graphql-subscriptions';
import Redis from 'ioredis';
import { PostgresDatabase } from '../src/db/postgres';
import { EventPublisher } from '../src/events/publisher';
import { OutboxRelay } from '../src/events/relay';
import { createLogger } from '../src/observability/logger';

export interface EventFigures {
  relayEventsPerSecond: number;
  relayEvents: number;
  latencyP50: number;
  latencyP99: number;
  latencyEvents: number;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/**
 * Relay throughput: a backlog of 20,000 outbox events for 1,000 customers, drained by one
 * relay into a real Redis stream, timed end to end (claims, XADD pipelines, marking sent).
 */
export async function relayThroughput(dsn: string, redisAddr: string): Promise<{ events: number; perSecond: number }> {
  const db = await PostgresDatabase.connect(dsn, 4);
  const [host, port] = redisAddr.split(':');
  const redis = new Redis({ host, port: Number(port), enableOfflineQueue: false });
  await new Promise((r) => redis.once('ready', r));
  const stream = 'bench:customer.events';
  await redis.del(stream);
  await db.query(`UPDATE outbox_events SET status = 'SENT' WHERE status = 'PENDING'`);
  await db.query(
    `INSERT INTO outbox_events (id, customer_id, type, payload)
     SELECT gen_random_uuid(), c.id, 'customer.updated',
            jsonb_build_object('specversion', '1.0', 'source', 'bench', 'type', 'customer.updated', 'subject', c.id,
                               'time', now(), 'datacontenttype', 'application/json', 'data', jsonb_build_object('customerId', c.id))
       FROM (SELECT id FROM customers ORDER BY id LIMIT 1000) c, generate_series(1, 20)`,
  );
  const relay = new OutboxRelay(
    db,
    new EventPublisher(new PubSub(), redis, 1_000_000, stream),
    { batchSize: 500, maxAttempts: 5, backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 1000, retentionHours: 24, streamMaxLen: 1_000_000 },
    createLogger('warn'),
    null,
  );
  const started = process.hrtime.bigint();
  let events = 0;
  for (;;) {
    events += await relay.drainOnce();
    const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE status = 'PENDING'");
    if (n === 0) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const streamed = await redis.xlen(stream);
  await redis.del(stream);
  redis.disconnect();
  await db.close();
  if (streamed !== events) throw new Error(`relay reported ${events} events but the stream holds ${streamed}`);
  return { events, perSecond: events / seconds };
}

/**
 * Commit-to-subscriber latency across two instances through Redis: a subscriber on B (in a
 * process of its own, bench/subscriber.ts, so that the writers' event loop does not delay its
 * clock readings), 1,000 updateCustomer mutations on A (8 at a time, after 1,500 to warm up
 * the whole path, whose events the subscriber receives but does not measure); latency =
 * receipt time - the event's time, which the unit of work stamps before its last statement
 * (audit rows, outbox rows, NOTIFY) and the COMMIT pipelined behind it.
 */
export async function subscriberLatency(
  urlA: string,
  urlB: string,
  adminToken: string,
  customerIds: string[],
): Promise<{ p50: number; p99: number; events: number }> {
  const total = 1000;
  const writers = Number(process.env.BENCH_EVENT_WRITERS ?? 8);
  const mutate = async (count: number, prefix: string) => {
    let n = 0;
    const worker = async () => {
      while (n < count) {
        const i = n++;
        await fetch(urlA, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({
            query: 'mutation($id: ID!, $n: String) { updateCustomer(id: $id, input: { lastName: $n }) { id } }',
            variables: { id: customerIds[i % customerIds.length], n: `${prefix}${i}` },
          }),
        });
      }
    };
    await Promise.all(Array.from({ length: writers }, worker));
  };
  // Steady state, as the reads measure it after their 2 s warm-up: with 300 warm-up mutations
  // V8 was still optimizing the mutation path during the measured ones (p99 about 10 ms higher).
  const warmUp = Number(process.env.BENCH_EVENT_WARMUP ?? 1500);
  const child = spawn(process.execPath, [path.join(__dirname, 'subscriber.js')], {
    env: { ...process.env, BENCH_WS_URL: urlB.replace(/^http/, 'ws'), BENCH_TOKEN: adminToken, BENCH_EVENTS: String(total), BENCH_SKIP_EVENTS: String(warmUp) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const lines = new EventEmitter();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      lines.emit('line', out.slice(0, i));
      out = out.slice(i + 1);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      // 'close', not 'exit': the last line may still be in the pipe when the process exits.
      child.once('close', () => reject(new Error('the subscriber exited early')));
    });
  await next(); // ready
  const results = next();
  // Warm-up (JIT, pools, prepared statements, the delivery path on B): received, not measured.
  await mutate(warmUp, `Warm${Date.now()}-`);
  await new Promise((r) => setTimeout(r, 500));
  await mutate(total, `Bench${Date.now()}-`);
  const latencies = JSON.parse(await results) as number[];
  return { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), events: latencies.length };
}
