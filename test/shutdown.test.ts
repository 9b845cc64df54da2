import { createTestDatabase, postGraphql, redisEnv, TEST_JWT_SECRET, tokens, uniqueEmail } from './helpers/server';
import { ensureBuilt, ServiceProcess, startService } from './helpers/process';
import { subscribe, wsClient } from './helpers/ws';
import pg from 'pg';

// Graceful shutdown of the real process on SIGTERM: in-flight requests finish, new ones are
// refused, subscriptions are closed with a proper code, outbox events are not lost, and the
// process exits 0 before its deadline.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  ensureBuilt();
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function start(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService({
    CUSTOMER_DATABASE_DSN: database.dsn,
    CUSTOMER_JWT_SECRET: TEST_JWT_SECRET,
    // A slow mutation to be in flight when the signal comes: bcrypt at cost 13 is hundreds of ms.
    CUSTOMER_BCRYPT_COST: '13',
    CUSTOMER_AUTH_RATE_LIMIT: '1000',
    ...redisEnv(),
    ...extra,
  });
}

it('finishes in-flight mutations, refuses new work, closes subscriptions with 1001, keeps every event, exits 0', async () => {
  const service = await start();
  const client = wsClient(service.url, tokens.admin());
  const feed = await subscribe(client, 'subscription { auditEventRecorded { id } }');
  const closed = new Promise<number>((resolve) => client.on('closed', (e) => resolve((e as { code: number }).code)));

  const emails = Array.from({ length: 4 }, () => uniqueEmail('inflight'));
  const inFlight = emails.map((email) =>
    postGraphql(service.url, 'mutation($i: RegisterInput!) { register(input: $i) { customer { id } } }', { i: { email, password: 'correct horse battery' } }),
  );
  await new Promise((r) => setTimeout(r, 150)); // the requests are in, bcrypt is working
  const started = Date.now();
  const exited = service.stop('SIGTERM');

  const results = await Promise.all(inFlight);
  for (const res of results) {
    expect(res.errors).toBeUndefined();
    expect(res.data!.register.customer.id).toEqual(expect.any(String));
  }
  // A request after the signal is not taken (the listener is closed).
  await new Promise((r) => setTimeout(r, 50));
  await expect(postGraphql(service.url, '{ __typename }')).rejects.toThrow();

  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await closed).toBe(1001);
  feed.close();

  // Every mutation committed, and each event is either published or still in the outbox for
  // the next replica: nothing lost.
  const db = new pg.Client({ connectionString: database.dsn });
  await db.connect();
  try {
    const customers = await db.query('SELECT id FROM customers WHERE email = ANY($1)', [emails]);
    expect(customers.rowCount).toBe(emails.length);
    const events = await db.query("SELECT status FROM outbox_events WHERE customer_id = ANY($1) AND type = 'customer.created'", [
      customers.rows.map((r) => r.id),
    ]);
    expect(events.rowCount).toBe(emails.length);
    for (const e of events.rows) expect(['SENT', 'PENDING']).toContain(e.status);
  } finally {
    await db.end();
  }
  expect(service.output()).toMatch(/shutting down/);
});

it('gives up at the deadline when something hangs, and says so', async () => {
  // A 1 ms deadline cannot be met by any shutdown that has real work to do.
  const service = await start({ CUSTOMER_SHUTDOWN_TIMEOUT_MS: '1' });
  const inFlight = postGraphql(service.url, 'mutation($i: RegisterInput!) { register(input: $i) { customer { id } } }', {
    i: { email: uniqueEmail('late'), password: 'correct horse battery' },
  }).catch(() => null);
  await new Promise((r) => setTimeout(r, 100));
  expect(await service.stop('SIGTERM')).toBe(1);
  await inFlight;
  expect(service.output()).toMatch(/shutdown deadline passed/);
});
