import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * The subscriber of the commit-to-subscriber benchmark, in a process of its own (a dashboard
 * is not the process that writes): started by events.ts with BENCH_WS_URL, BENCH_TOKEN and
 * BENCH_EVENTS (and BENCH_SKIP_EVENTS, the warm-up's), it says `ready` once subscribed, then prints the latencies (receipt time
 * minus the event's time) as one JSON array when it has them all or after 30 s.
 */
const total = Number(process.env.BENCH_EVENTS ?? 1000);
/** Events of the warm-up, received (so the whole path warms up) but not measured. */
let skip = Number(process.env.BENCH_SKIP_EVENTS ?? 0);
const latencies: number[] = [];
const client = createClient({
  url: process.env.BENCH_WS_URL!,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${process.env.BENCH_TOKEN}` },
  lazy: false,
  onNonLazyError: () => undefined,
});
const finish = () => {
  process.stdout.write(`${JSON.stringify(latencies)}\n`, () => process.exit(0));
};
client.subscribe<{ customerChanged: { occurredAt: string } }>(
  { query: 'subscription { customerChanged { occurredAt } }' },
  {
    next: (v) => {
      if (v.data && skip > 0) skip -= 1;
      else if (v.data) latencies.push(Date.now() - Date.parse(v.data.customerChanged.occurredAt));
      if (latencies.length >= total) finish();
    },
    error: finish,
    complete: () => undefined,
  },
);
client.on('connected', () => setTimeout(() => process.stdout.write('ready\n'), 300));
setTimeout(finish, 30_000).unref();
