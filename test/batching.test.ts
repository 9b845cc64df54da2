import { randomUUID } from 'node:crypto';
import { IdLookups } from '../src/db/id-lookups';
import { startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
let ids: string[];

beforeAll(async () => {
  server = await startTestServer();
  // 500 customers with preferences and a few consent records each, seeded in bulk
  const rows = await server.db.query<{ id: string }>(
    `INSERT INTO customers (email, first_name, last_name, group_id)
     SELECT 'bulk' || i || '@example.com', 'First' || i, 'Last' || i, (SELECT id FROM customer_groups WHERE is_default)
       FROM generate_series(1, 500) AS i RETURNING id`,
  );
  ids = rows.map((r) => r.id);
  await server.db.query('INSERT INTO customer_preferences (customer_id) SELECT unnest($1::uuid[])', [ids]);
  await server.db.query(
    `INSERT INTO consent_log (customer_id, channel, granted, source)
     SELECT id, 'newsletter', (n % 2 = 0), 'API' FROM unnest($1::uuid[]) AS id, generate_series(1, 3) AS n`,
    [ids],
  );
});
afterAll(async () => {
  await server.close();
});

const PAGE = `query($first: Int) { customers(first: $first) { edges { node {
  id email displayName group { code name }
  preferences { newsletter emailMarketing consentLog(first: 2) { channel granted } }
} } } }`;

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Customer { id email group { code } preferences { newsletter consentLog { granted } } }
} }`;

describe('batching', () => {
  it('serves a page of 100 customers with preferences, group and consentLog in as many statements as a page of 10', async () => {
    let small = 0;
    const smallCount = await server.countStatements(async () => {
      const res = await server.gql(PAGE, { first: 10 }, tokens.admin());
      small = res.data!.customers.edges.length;
    });
    let large: any;
    const largeCount = await server.countStatements(async () => {
      large = await server.gql(PAGE, { first: 100 }, tokens.admin());
    });
    expect(small).toBe(10);
    expect(large.errors).toBeUndefined();
    expect(large.data.customers.edges).toHaveLength(100);
    expect(large.data.customers.edges[0].node.preferences.consentLog).toHaveLength(2);
    expect(largeCount).toBe(smallCount);
    expect(largeCount).toBeLessThanOrEqual(2); // the page (groups and preferences joined in), the consent log
  });

  it('resolves 500 Customer representations in a constant number of statements, in order, null for unknown ids', async () => {
    const unknown = randomUUID();
    const reps = [...ids.slice(0, 250), unknown, 'not-a-uuid', ...ids.slice(250)].map((id) => ({ __typename: 'Customer', id }));
    let res: any;
    const n500 = await server.countStatements(async () => {
      res = await server.gql(ENTITIES, { reps }, tokens.service());
    });
    const n10 = await server.countStatements(async () => {
      await server.gql(ENTITIES, { reps: reps.slice(0, 10) }, tokens.service());
    });
    expect(res.errors).toBeUndefined();
    const out = res.data._entities;
    expect(out).toHaveLength(502);
    expect(out[250]).toBeNull();
    expect(out[251]).toBeNull();
    expect(out.filter(Boolean).map((c: { id: string }) => c.id)).toEqual(ids);
    expect(out[0].email).toBe('bulk1@example.com');
    expect(n500).toBe(n10);
    expect(n500).toBeLessThanOrEqual(4);
  });

  it('answers concurrent customer(id) requests, whose look-ups may share statements, each with its own customer and authorization', async () => {
    const BY_ID = 'query($id: ID!) { customer(id: $id) { id email } }';
    const readers = ids.slice(0, 20);
    const results: { id: string; own: boolean; res: { data?: any; errors?: { extensions?: { code?: string } }[] } }[] = [];
    const n = await server.countStatements(async () => {
      await Promise.all([
        // A SERVICE reading 20 customers, 10 customers reading themselves, 10 reading someone else.
        ...readers.map(async (id) => results.push({ id, own: true, res: await server.gql(BY_ID, { id }, tokens.service()) })),
        ...readers.slice(0, 10).map(async (id) => results.push({ id, own: true, res: await server.gql(BY_ID, { id }, tokens.customer(id)) })),
        ...readers.slice(10).map(async (id, i) => results.push({ id, own: false, res: await server.gql(BY_ID, { id }, tokens.customer(readers[i])) })),
      ]);
    });
    expect(results).toHaveLength(40);
    for (const { id, own, res } of results) {
      if (own) {
        expect(res.errors).toBeUndefined();
        expect(res.data!.customer.id).toBe(id);
        expect(res.data!.customer.email).toBe(`bulk${ids.indexOf(id) + 1}@example.com`);
      } else {
        expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect(JSON.stringify(res.data ?? null)).not.toContain('@example.com');
      }
    }
    // However the requests interleaved, never more than one statement each.
    expect(n).toBeLessThanOrEqual(40);
  });

  it('runs look-ups of one event-loop turn as one statement, and those of the next turn as another', async () => {
    const lookups = new IdLookups(server.db);
    const sql = 'SELECT id, email FROM customers WHERE id = ANY($1::uuid[])';
    type Rows = ReadonlyMap<string, { id: string }>;
    let a: Rows = new Map();
    let b: Rows = new Map();
    let c: Rows = new Map();
    const n = await server.countStatements(async () => {
      const first = Promise.all([lookups.byId<{ id: string }>(sql, [ids[0]]), lookups.byId<{ id: string }>(sql, [ids[1], ids[2]])]);
      [a, b] = await first;
      c = await lookups.byId<{ id: string }>(sql, [ids[3]]);
    });
    expect(n).toBe(2);
    // The first two callers share the rows of one statement; each picks its own ids from them.
    expect([...a.keys()].sort()).toEqual([ids[0], ids[1], ids[2]].sort());
    expect(b).toBe(a);
    expect([...c.keys()]).toEqual([ids[3]]);
  });
});
