import pg from 'pg';
import { createCustomer, errorCode, startTestServer, TestServer, tokens } from './helpers/server';
import { runMigrations } from '../src/db/migrate';
import { PostgresDatabase } from '../src/db/postgres';

/**
 * CUSTOMER_DB_STATEMENT_TIMEOUT_MS and CUSTOMER_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: a session
 * outside the service holding a lock must not hang requests (and their pooled connections) for
 * good, while migrations and segment refreshes, which may legitimately run long, are not cut.
 */
const STATEMENT_MS = 300;
let server: TestServer;
/** Another session on the same database, as an operator's psql or a stuck job would be. */
let other: pg.Client;

beforeAll(async () => {
  server = await startTestServer({ CUSTOMER_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS), CUSTOMER_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '500' });
  other = new pg.Client({ connectionString: server.dsn });
  await other.connect();
});
afterAll(async () => {
  await other.end();
  await server.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = tokens.admin();
const UPDATE = 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id firstName } }';
const READ = 'query($id: ID!) { customer(id: $id) { id firstName } }';

/** Runs fn while `other` holds what `lock` takes, then releases it. */
async function whileLocked<T>(lock: string, params: unknown[], fn: () => Promise<T>): Promise<T> {
  await other.query('BEGIN');
  await other.query(lock, params);
  try {
    return await fn();
  } finally {
    await other.query('ROLLBACK');
  }
}

describe('statement timeout', () => {
  it('a write waiting on a row lock held elsewhere answers 503 SERVICE_UNAVAILABLE, changes nothing, and works once the lock is gone', async () => {
    const c = await createCustomer(server, { firstName: 'Before' });
    const blocked = await whileLocked('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [c.id], () =>
      server.gql(UPDATE, { id: c.id, input: { firstName: 'During' } }, admin),
    );
    expect(blocked.status).toBe(503);
    expect(errorCode(blocked)).toBe('SERVICE_UNAVAILABLE');
    expect(blocked.errors![0].message).toMatch(/did not answer in time/);
    expect(JSON.stringify(blocked)).not.toMatch(/statement timeout|canceling|customers/i);
    expect((await server.gql(READ, { id: c.id }, admin)).data!.customer.firstName).toBe('Before');

    const after = await server.gql(UPDATE, { id: c.id, input: { firstName: 'After' } }, admin);
    expect(after.data!.updateCustomer.firstName).toBe('After');
  });

  it('a read waiting on a table lock answers SERVICE_UNAVAILABLE, and the pool is whole afterwards', async () => {
    const c = await createCustomer(server);
    const blocked = await whileLocked('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE', [], () =>
      // More requests than pooled connections: none may keep its connection once cancelled.
      Promise.all(Array.from({ length: 12 }, () => server.gql(READ, { id: c.id }, admin))),
    );
    for (const res of blocked) expect(errorCode(res)).toBe('SERVICE_UNAVAILABLE');
    const again = await Promise.all(Array.from({ length: 12 }, () => server.gql(READ, { id: c.id }, admin)));
    for (const res of again) expect(res.data!.customer.id).toBe(c.id);
  });

  it("a list's address look-up that fails fails its address fields only, not the customers nor the fields that read none", async () => {
    const c = await createCustomer(server);
    const created = await server.gql(
      'mutation($id: ID!) { createAddress(customerId: $id, input: { addressLine1: "Main 1", city: "Berlin", postalCode: "10115", countryCode: "DE" }) { id } }',
      { id: c.id },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const reps = [{ __typename: 'Customer', id: c.id }];
    const query = `query($r: [_Any!]!) {
      plain: _entities(representations: $r) { ... on Customer { id email } }
      withAddresses: _entities(representations: $r) { ... on Customer { id addresses { city } } }
    }`;
    const blocked = await whileLocked('LOCK TABLE customer_addresses IN ACCESS EXCLUSIVE MODE', [], () => server.gql(query, { r: reps }, admin));
    expect(blocked.data).toEqual({ plain: [{ id: c.id, email: c.email }], withAddresses: [null] });
    expect(blocked.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['withAddresses', 0, 'addresses'], 'SERVICE_UNAVAILABLE']]);
    const after = await server.gql(query, { r: reps }, admin);
    expect(after.data!.withAddresses).toEqual([{ id: c.id, addresses: [{ city: 'Berlin' }] }]);
  });

  it('does not cut a segment refresh that waits longer than the bound', async () => {
    const domain = `timeouts-${Date.now()}.example`;
    const member = await createCustomer(server, { email: `ann@${domain}` });
    const created = await server.gql(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: { name: `slow-${domain}`, rules: [{ field: 'EMAIL_DOMAIN', operator: 'EQ', value: domain }] } },
      admin,
    );
    const id = created.data!.createSegment.id as string;
    // The refresh queues behind the segment's row lock for twice the statement bound.
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM customer_segments WHERE id = $1 FOR UPDATE', [id]);
    const refresh = server.gql('mutation($id: ID!) { refreshSegment(id: $id) { memberCount } }', { id }, admin);
    await sleep(STATEMENT_MS * 2);
    await other.query('ROLLBACK');
    const res = await refresh;
    expect(res.errors).toBeUndefined();
    expect(res.data!.refreshSegment.memberCount).toBe(1);
    const segments = await server.gql('query($id: ID!) { customer(id: $id) { segments { id } } }', { id: member.id }, admin);
    expect(segments.data!.customer.segments).toEqual([{ id }]);
  });

  it('does not cut migrations: a replica waits for the one applying them', async () => {
    const db = await PostgresDatabase.connect(server.dsn, 2, { statementMs: STATEMENT_MS, idleInTransactionMs: 0 });
    try {
      await other.query('BEGIN');
      await other.query("SELECT pg_advisory_xact_lock(hashtext('customer-subgraph:migrations'))");
      const migrating = runMigrations(db);
      await sleep(STATEMENT_MS * 2);
      await other.query('ROLLBACK');
      await expect(migrating).resolves.toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('idle-in-transaction timeout', () => {
  it('ends a transaction left idle: nothing of it is committed, its locks are freed, and the pool recovers', async () => {
    const c = await createCustomer(server, { firstName: 'Kept' });
    const stalled = server.db.transaction(async (tx) => {
      await tx.query("UPDATE customers SET first_name = 'Lost' WHERE id = $1", [c.id]);
      await sleep(1500); // as a process stalled mid-transaction would
      await tx.query('SELECT 1');
    });
    await expect(stalled).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // The row lock went with the session: a write goes through well within the statement bound.
    const res = await server.gql(UPDATE, { id: c.id, input: { lastName: 'Changed' } }, admin);
    expect(res.data!.updateCustomer.firstName).toBe('Kept');
  });
});
