import { startTestServer, TestServer, tokens } from './helpers/server';

/**
 * Customers with their addresses, the nested list of issue 18, through the three ways clients
 * reach it: the ADMIN page, `me`, and `_entities` as a gateway sends it. The statement count
 * must not grow with the number of customers, and every customer shows only their own
 * addresses, in the contract's order, to whoever may see them.
 */
let server: TestServer;
let ids: string[];
/** Per customer id: address ids in the contract's order (defaults first, then newest). */
const expected = new Map<string, string[]>();

const ADDRESS = 'addresses { id customerId city postalCode isDefault }';

beforeAll(async () => {
  server = await startTestServer();
  const rows = await server.db.query<{ id: string }>(
    `INSERT INTO customers (email, first_name, last_name, group_id, created_at)
     SELECT 'nested' || i || '@example.com', 'First' || i, 'Last' || i, (SELECT id FROM customer_groups WHERE is_default),
            timestamptz '2026-01-01' + (i || ' minutes')::interval
       FROM generate_series(1, 120) AS i RETURNING id`,
  );
  ids = rows.map((r) => r.id);
  // Three addresses each (a default of each type, an older shipping one) and a deleted one that must never show.
  await server.db.query(
    `INSERT INTO customer_addresses (customer_id, type, is_default, address_line_1, city, postal_code, country_code, label, created_at, deleted_at)
     SELECT c.id, t.type, t.is_default, 'Road ' || t.n, 'City ' || t.n, lpad(t.n::text, 5, '0'), 'US', 'label ' || t.n,
            timestamptz '2026-02-01' + (t.n || ' hours')::interval, t.deleted
       FROM unnest($1::uuid[]) AS c (id)
      CROSS JOIN (VALUES (1, 'SHIPPING', FALSE, NULL::timestamptz), (2, 'BILLING', TRUE, NULL), (3, 'SHIPPING', TRUE, NULL),
                         (4, 'SHIPPING', FALSE, now())) AS t (n, type, is_default, deleted)`,
    [ids],
  );
  const addresses = await server.db.query<{ id: string; customer_id: string }>(
    `SELECT id, customer_id FROM customer_addresses WHERE deleted_at IS NULL ORDER BY is_default DESC, created_at DESC, id DESC`,
  );
  for (const a of addresses) expected.set(a.customer_id, [...(expected.get(a.customer_id) ?? []), a.id]);
});
afterAll(async () => {
  await server.close();
});

type Node = { id: string; addresses: { id: string; customerId: string; city: string; postalCode: string; isDefault: boolean }[] };

/** Each customer has exactly their own live addresses, in order, with the fields asked for. */
function expectOwnAddresses(nodes: Node[]): void {
  for (const n of nodes) {
    expect(n.addresses.map((a) => a.id)).toEqual(expected.get(n.id));
    expect(n.addresses.every((a) => a.customerId === n.id)).toBe(true);
    expect(n.addresses.map((a) => [a.city, a.postalCode, a.isDefault])).toEqual([
      ['City 3', '00003', true],
      ['City 2', '00002', true],
      ['City 1', '00001', false],
    ]);
  }
}

describe('a page of customers with their addresses', () => {
  const LIST = `query($first: Int) { customers(first: $first, orderBy: { field: CREATED_AT, direction: ASC }) {
    nodes { id email firstName lastName ${ADDRESS} } } }`;

  it('costs two statements (the page, then the addresses of all its customers) for 10 or 100 customers', async () => {
    let large: any;
    const hundred = await server.countStatements(async () => {
      large = await server.gql(LIST, { first: 100 }, tokens.admin());
    });
    const ten = await server.countStatements(() => server.gql(LIST, { first: 10 }, tokens.admin()));
    expect(large.errors).toBeUndefined();
    expect(large.data.customers.nodes.map((n: Node) => n.id)).toEqual(ids.slice(0, 100));
    expectOwnAddresses(large.data.customers.nodes);
    expect(hundred).toBe(ten);
    expect(hundred).toBe(2);
  });

  it('shares one address statement between addresses, their type filter and the default addresses, each with its own fields', async () => {
    const q = `{ customers(first: 30) { nodes { id
      addresses { id } shipping: addresses(type: SHIPPING) { id city }
      defaultShippingAddress { id label } defaultBillingAddress { postalCode } } } }`;
    let res: any;
    const n = await server.countStatements(async () => {
      res = await server.gql(q, {}, tokens.admin());
    });
    expect(res.errors).toBeUndefined();
    expect(n).toBe(2);
    for (const c of res.data.customers.nodes) {
      const [s3, b2, s1] = expected.get(c.id)!;
      expect(c.addresses.map((a: { id: string }) => a.id)).toEqual([s3, b2, s1]);
      expect(c.shipping).toEqual([
        { id: s3, city: 'City 3' },
        { id: s1, city: 'City 1' },
      ]);
      expect(c.defaultShippingAddress).toEqual({ id: s3, label: 'label 3' });
      expect(c.defaultBillingAddress).toEqual({ postalCode: '00002' });
    }
  });
});

describe('me with addresses', () => {
  it('answers the signed-in customer their own addresses in two statements', async () => {
    const me = ids[7];
    let res: any;
    const n = await server.countStatements(async () => {
      res = await server.gql(`{ me { id email ${ADDRESS} } }`, {}, tokens.customer(me));
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.me.id).toBe(me);
    expectOwnAddresses([res.data.me]);
    expect(n).toBe(2);
  });

  it('answers concurrent customers, whose look-ups may share statements, each their own addresses only', async () => {
    const readers = ids.slice(40, 60);
    const q = `{ me { id ${ADDRESS} } }`;
    let answers: { id: string; res: any }[] = [];
    const n = await server.countStatements(async () => {
      answers = await Promise.all(readers.map(async (id) => ({ id, res: await server.gql(q, {}, tokens.customer(id)) })));
    });
    for (const { id, res } of answers) {
      expect(res.errors).toBeUndefined();
      expect(res.data.me.id).toBe(id);
      expectOwnAddresses([res.data.me]);
    }
    // However the requests interleaved, never more than two statements each.
    expect(n).toBeLessThanOrEqual(2 * readers.length);
  });
});

describe('_entities of customers with their addresses, as a gateway sends them', () => {
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id email ${ADDRESS} } } }`;
  const reps = (list: string[]) => list.map((id) => ({ __typename: 'Customer', id }));

  it('resolves 100 representations with addresses in as many statements as 10, in order', async () => {
    const wanted = [...ids.slice(20, 120)].reverse();
    let res: any;
    const hundred = await server.countStatements(async () => {
      res = await server.gql(ENTITIES, { r: reps(wanted) }, tokens.admin());
    });
    const ten = await server.countStatements(() => server.gql(ENTITIES, { r: reps(wanted.slice(0, 10)) }, tokens.admin()));
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((c: Node) => c.id)).toEqual(wanted);
    expectOwnAddresses(res.data._entities);
    expect(hundred).toBe(ten);
    expect(hundred).toBe(2);
  });

  it('gives a customer their own addresses and refuses the others one by one', async () => {
    const me = ids[3];
    const res = await server.gql(ENTITIES, { r: reps([ids[2], me, ids[4]]) }, tokens.customer(me));
    expect(res.data!._entities[0]).toBeNull();
    expect(res.data!._entities[2]).toBeNull();
    expectOwnAddresses([res.data!._entities[1]]);
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'FORBIDDEN'],
      [['_entities', 2], 'FORBIDDEN'],
    ]);
  });

  it('shows a SERVICE the customers but none of their addresses', async () => {
    const res = await server.gql(ENTITIES, { r: reps(ids.slice(0, 3)) }, tokens.service());
    expect(res.data!._entities).toEqual([null, null, null]);
    expect(res.errors).toHaveLength(3);
    expect(res.errors!.every((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.[2] === 'addresses')).toBe(true);
    expect(JSON.stringify(res.data)).not.toContain('City');
  });
});
