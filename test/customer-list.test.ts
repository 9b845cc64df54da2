import type { CustomerConnection } from './generated/schema-types';
import { createCustomer, GqlResponse, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
const ids: Record<string, string> = {};

const LIST = `query($filter: CustomerFilter, $orderBy: CustomerOrder, $first: Int, $after: String) {
  customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { id email lastName } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const WITH_COUNT = LIST.replace('pageInfo {', 'totalCount pageInfo {');

beforeAll(async () => {
  server = await startTestServer();
  const people = [
    ['anna.smith@shop.test', 'Anna', 'Smith', 'INDIVIDUAL'],
    ['annabel.jones@shop.test', 'Annabel', 'Jones', 'INDIVIDUAL'],
    ['bob.smithers@shop.test', 'Bob', 'Smithers', 'BUSINESS'],
    ['carol@corp.test', 'Carol', null, 'BUSINESS'],
    ['dave_x%@shop.test', 'Dave', 'Zed', 'INDIVIDUAL'],
  ] as const;
  for (const [email, firstName, lastName, customerType] of people) {
    ids[email] = (await createCustomer(server, { email, firstName, lastName, customerType })).id;
  }
  // a deleted customer that must never show up nor be counted
  const gone = await createCustomer(server, { email: 'gone.smith@shop.test', lastName: 'Smith' });
  await server.db.query("UPDATE customers SET status = 'DELETED', deleted_at = now() WHERE id = $1", [gone.id]);
  await server.db.query("UPDATE customers SET email_verified = TRUE, status = 'SUSPENDED' WHERE email = 'carol@corp.test'");
});
afterAll(async () => {
  await server.close();
});

async function emails(variables: Record<string, unknown>): Promise<string[]> {
  const res = await server.gql(LIST, variables, tokens.admin());
  expect(res.errors).toBeUndefined();
  return res.data!.customers.edges.map((e: { node: { email: string } }) => e.node.email);
}

describe('customers (ADMIN list)', () => {
  it('is ADMIN only', async () => {
    expect((await server.gql(LIST, {}, tokens.service())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(LIST, {})).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('orders newest first by default and never lists deleted customers', async () => {
    const list = await emails({});
    expect(list).toEqual(['dave_x%@shop.test', 'carol@corp.test', 'bob.smithers@shop.test', 'annabel.jones@shop.test', 'anna.smith@shop.test']);
  });

  it('orders by email and by last name (missing names first) in both directions', async () => {
    expect(await emails({ orderBy: { field: 'EMAIL', direction: 'ASC' } })).toEqual([
      'anna.smith@shop.test',
      'annabel.jones@shop.test',
      'bob.smithers@shop.test',
      'carol@corp.test',
      'dave_x%@shop.test',
    ]);
    expect(await emails({ orderBy: { field: 'LAST_NAME', direction: 'DESC' } })).toEqual([
      'dave_x%@shop.test',
      'bob.smithers@shop.test',
      'anna.smith@shop.test',
      'annabel.jones@shop.test',
      'carol@corp.test',
    ]);
  });

  it('pages with opaque keyset cursors without gaps or repeats', async () => {
    for (const orderBy of [undefined, { field: 'LAST_NAME', direction: 'ASC' }, { field: 'EMAIL', direction: 'DESC' }]) {
      const all = await emails({ orderBy });
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: GqlResponse<{ customers: CustomerConnection }> = await server.gql(LIST, { orderBy, first: 2, after }, tokens.admin());
        const c = res.data!.customers;
        seen.push(...c.edges.map((e) => e.node.email));
        expect(c.pageInfo.hasPreviousPage).toBe(after !== null);
        expect(c.nodes.map((n) => n.id)).toEqual(c.edges.map((e) => e.node.id));
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor ?? null;
      }
      expect(seen).toEqual(all);
    }
  });

  it('refuses a malformed cursor and a cursor of another ordering', async () => {
    const bad = await server.gql(LIST, { after: 'garbage' }, tokens.admin());
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const page = await server.gql(LIST, { first: 1 }, tokens.admin());
    const other = await server.gql(
      LIST,
      { first: 1, after: page.data!.customers.pageInfo.endCursor, orderBy: { field: 'EMAIL', direction: 'ASC' } },
      tokens.admin(),
    );
    expect(other.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(JSON.stringify(['CREATED_AT:DESC', 'not a time', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const forgedRes = await server.gql(LIST, { after: forged }, tokens.admin());
    expect(forgedRes.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('caps first at 100 and refuses a negative first', async () => {
    expect((await server.gql(LIST, { first: 1000 }, tokens.admin())).errors).toBeUndefined();
    expect((await server.gql(LIST, { first: -1 }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('filters by status, type, verification, group and creation time', async () => {
    expect(await emails({ filter: { status: ['SUSPENDED'] } })).toEqual(['carol@corp.test']);
    expect(await emails({ filter: { status: ['DELETED'] } })).toEqual([]);
    expect(await emails({ filter: { customerType: 'BUSINESS' } })).toEqual(['carol@corp.test', 'bob.smithers@shop.test']);
    expect(await emails({ filter: { emailVerified: true } })).toEqual(['carol@corp.test']);
    const groups = await server.gql('{ customerGroups { id code } }', {}, tokens.admin());
    const b2c = groups.data!.customerGroups.find((g: { code: string }) => g.code === 'B2C').id;
    const b2b = groups.data!.customerGroups.find((g: { code: string }) => g.code === 'B2B').id;
    expect(await emails({ filter: { groupId: b2c } })).toHaveLength(5);
    expect(await emails({ filter: { groupId: b2b } })).toEqual([]);
    expect(await emails({ filter: { groupId: b2c.toUpperCase() } })).toHaveLength(5);
    const malformed = await server.gql(LIST, { filter: { groupId: 'not-a-uuid' } }, tokens.admin());
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'filter.groupId', message: 'must be a UUID' }] });
    expect(await emails({ filter: { createdAfter: '2999-01-01T00:00:00Z' } })).toEqual([]);
    expect(await emails({ filter: { createdBefore: '2999-01-01T00:00:00Z' } })).toHaveLength(5);
  });

  it('searches names by word prefix and emails by prefix, with LIKE wildcards taken literally', async () => {
    expect((await emails({ filter: { search: 'smith' } })).sort()).toEqual(['anna.smith@shop.test', 'bob.smithers@shop.test']);
    expect(await emails({ filter: { search: 'ann smi' } })).toEqual(['anna.smith@shop.test']);
    expect((await emails({ filter: { search: 'anna' } })).sort()).toEqual(['anna.smith@shop.test', 'annabel.jones@shop.test']);
    expect(await emails({ filter: { search: 'carol@corp' } })).toEqual(['carol@corp.test']);
    expect(await emails({ filter: { search: 'dave_x%' } })).toEqual(['dave_x%@shop.test']);
    expect(await emails({ filter: { search: '%' } })).toEqual([]);
    expect(await emails({ filter: { search: "'); DROP TABLE customers; --" } })).toEqual([]);
  });

  it('names a refused filter field after the argument the client wrote (filter.search, not input.search)', async () => {
    const res = await server.gql(LIST, { filter: { search: 'x'.repeat(5000) } }, tokens.admin());
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions!.fieldErrors!.map((f: { field: string }) => f.field)).toEqual(['filter.search']);
  });

  it('counts totalCount with the filter, excluding deleted rows, and only when selected', async () => {
    const res = await server.gql(WITH_COUNT, { filter: { search: 'smith' }, first: 1 }, tokens.admin());
    expect(res.data!.customers.totalCount).toBe(2);
    const statements: string[] = [];
    const off = server.db.onStatement((s) => statements.push(s));
    await server.gql(LIST, { first: 1 }, tokens.admin());
    off();
    expect(statements.some((s) => /count\(\*\)/i.test(s))).toBe(false);
    const counted = await server.gql(WITH_COUNT, { first: 0 }, tokens.admin());
    expect(counted.data!.customers).toMatchObject({ totalCount: 5, edges: [] });
  });

  it('answers no customers for an unknown segment id, and BAD_USER_INPUT for a malformed one', async () => {
    const res = await server.gql(LIST, { filter: { segmentId: '00000000-0000-4000-8000-000000000000' } }, tokens.admin());
    expect(res.errors).toBeUndefined();
    expect(res.data!.customers.edges).toEqual([]);
    const malformed = await server.gql(LIST, { filter: { segmentId: 'not-a-uuid' } }, tokens.admin());
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'filter.segmentId', message: 'must be a UUID' }] });
  });
});
