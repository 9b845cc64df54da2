import pg from 'pg';
import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const GROUPS = '{ customerGroups { id code name description isDefault customerCount createdAt } }';
const CREATE = 'mutation($input: CustomerGroupInput!) { createCustomerGroup(input: $input) { id code name isDefault customerCount } }';
const UPDATE = 'mutation($id: ID!, $input: CustomerGroupInput!) { updateCustomerGroup(id: $id, input: $input) { id code name isDefault } }';
const DELETE = 'mutation($id: ID!) { deleteCustomerGroup(id: $id) }';
const ASSIGN = 'mutation($c: ID!, $g: ID) { assignCustomerGroup(customerId: $c, groupId: $g) { id group { code } } }';

async function groups() {
  return (await server.gql(GROUPS, {}, tokens.admin())).data!.customerGroups as { id: string; code: string; isDefault: boolean; customerCount: number }[];
}

describe('customer groups', () => {
  it('come from the migration: B2C is the default, B2B exists', async () => {
    const list = await groups();
    expect(list.map((g) => [g.code, g.isDefault])).toEqual([
      ['B2B', false],
      ['B2C', true],
    ]);
  });

  it('are managed by ADMIN only', async () => {
    const c = await createCustomer(server);
    expect((await server.gql(GROUPS, {}, tokens.customer(c.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(CREATE, { input: { code: 'X', name: 'X' } }, tokens.service())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('creates a group with a normalised code, refuses duplicate and malformed codes', async () => {
    const res = await server.gql(CREATE, { input: { code: 'wholesale', name: ' Wholesale ' } }, tokens.admin());
    expect(res.data!.createCustomerGroup).toMatchObject({ code: 'WHOLESALE', name: 'Wholesale', isDefault: false, customerCount: 0 });
    const dup = await server.gql(CREATE, { input: { code: 'WHOLESALE', name: 'Again' } }, tokens.admin());
    expect(dup.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'input.code' }] });
    const bad = await server.gql(CREATE, { input: { code: 'no spaces!', name: 'X' } }, tokens.admin());
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('moves the default when another group becomes default, keeping exactly one', async () => {
    const vip = (await server.gql(CREATE, { input: { code: 'VIP', name: 'VIP', isDefault: true } }, tokens.admin())).data!.createCustomerGroup;
    expect(vip.isDefault).toBe(true);
    let list = await groups();
    expect(list.filter((g) => g.isDefault).map((g) => g.code)).toEqual(['VIP']);
    // new customers now join VIP
    const c = await createCustomer(server);
    const me = await server.gql('{ me { group { code } } }', {}, tokens.customer(c.id));
    expect(me.data!.me.group.code).toBe('VIP');
    // the default cannot be un-defaulted or deleted directly
    expect((await server.gql(UPDATE, { id: vip.id, input: { code: 'VIP', name: 'VIP', isDefault: false } }, tokens.admin())).errors?.[0].extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    // Renaming it without isDefault (the contract's default is false) says how to keep it the default.
    const renamed = await server.gql(UPDATE, { id: vip.id, input: { code: 'VIP', name: 'Very Important' } }, tokens.admin());
    expect(renamed.errors?.[0].extensions?.fieldErrors?.[0].message).toMatch(/send isDefault: true/);
    expect(
      (await server.gql(UPDATE, { id: vip.id, input: { code: 'VIP', name: 'Very Important', isDefault: true } }, tokens.admin())).data!.updateCustomerGroup,
    ).toMatchObject({
      name: 'Very Important',
      isDefault: true,
    });
    expect((await server.gql(DELETE, { id: vip.id }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const b2c = list.find((g) => g.code === 'B2C')!;
    await server.gql(UPDATE, { id: b2c.id, input: { code: 'B2C', name: 'Consumers', isDefault: true } }, tokens.admin());
    list = await groups();
    expect(list.filter((g) => g.isDefault).map((g) => g.code)).toEqual(['B2C']);
  });

  it('keeps one default when many admins make different groups default at once', async () => {
    const created = await Promise.all(
      ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'].map((code) => server.gql(CREATE, { input: { code, name: code, isDefault: true } }, tokens.admin())),
    );
    expect(created.every((r) => r.errors === undefined)).toBe(true);
    const [{ n }] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_groups WHERE is_default');
    expect(n).toBe(1);
    const b2c = (await groups()).find((g) => g.code === 'B2C')!;
    await server.gql(UPDATE, { id: b2c.id, input: { code: 'B2C', name: 'Consumers', isDefault: true } }, tokens.admin());
  });

  it('assigns customers to groups (null = default) and counts members', async () => {
    const b2b = (await groups()).find((g) => g.code === 'B2B')!;
    const c = await createCustomer(server);
    const moved = await server.gql(ASSIGN, { c: c.id, g: b2b.id }, tokens.admin());
    expect(moved.data!.assignCustomerGroup.group.code).toBe('B2B');
    expect((await groups()).find((g) => g.code === 'B2B')!.customerCount).toBe(1);
    const back = await server.gql(ASSIGN, { c: c.id, g: null }, tokens.admin());
    expect(back.data!.assignCustomerGroup.group.code).toBe('B2C');
    const unknown = await server.gql(ASSIGN, { c: c.id, g: '00000000-0000-4000-8000-000000000000' }, tokens.admin());
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const noCustomer = await server.gql(ASSIGN, { c: '00000000-0000-4000-8000-000000000000', g: b2b.id }, tokens.admin());
    expect(noCustomer.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql(ASSIGN, { c: c.id, g: b2b.id }, tokens.customer(c.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('deleting a group moves its members to the default group', async () => {
    const temp = (await server.gql(CREATE, { input: { code: 'TEMP', name: 'Temp' } }, tokens.admin())).data!.createCustomerGroup;
    const c = await createCustomer(server, { groupId: temp.id });
    expect((await server.gql(DELETE, { id: temp.id }, tokens.admin())).data).toEqual({ deleteCustomerGroup: true });
    const me = await server.gql('{ me { group { code } } }', {}, tokens.customer(c.id));
    expect(me.data!.me.group.code).toBe('B2C');
    expect((await server.gql(DELETE, { id: temp.id }, tokens.admin())).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('a group deleted while customers are being assigned to it or created in it: no 500, nobody left in a missing group', async () => {
    // Deterministic: the delete holds the group while an assignment asks for it.
    const held = (await server.gql(CREATE, { input: { code: 'HELD', name: 'Held' } }, tokens.admin())).data!.createCustomerGroup;
    const c = await createCustomer(server);
    const other = new pg.Client({ connectionString: server.dsn });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM customer_groups WHERE id = $1 FOR UPDATE', [held.id]);
      const assigning = server.gql(ASSIGN, { c: c.id, g: held.id }, tokens.admin());
      await new Promise((r) => setTimeout(r, 300));
      await other.query('DELETE FROM customer_groups WHERE id = $1', [held.id]);
      await other.query('COMMIT');
      const res = await assigning;
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await other.end();
    }

    // Through the API, all at once, several rounds.
    for (let round = 0; round < 5; round++) {
      const g = (await server.gql(CREATE, { input: { code: `RACE${round}`, name: 'Race' } }, tokens.admin())).data!.createCustomerGroup;
      const people = await Promise.all([1, 2, 3].map(() => createCustomer(server)));
      const results = await Promise.all([
        ...people.map((p) => server.gql(ASSIGN, { c: p.id, g: g.id }, tokens.admin())),
        server.gql(
          'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
          { input: { email: `race${round}.${c.id.slice(0, 8)}@example.com`, groupId: g.id } },
          tokens.admin(),
        ),
        server.gql(DELETE, { id: g.id }, tokens.admin()),
      ]);
      for (const r of results) expect(['BAD_USER_INPUT', undefined]).toContain(r.errors?.[0].extensions?.code);
      const [{ orphans }] = await server.db.query<{ orphans: number }>(
        'SELECT count(*)::int AS orphans FROM customers c WHERE NOT EXISTS (SELECT 1 FROM customer_groups g WHERE g.id = c.group_id)',
      );
      expect(orphans).toBe(0);
    }
  });

  it('hides member counts from customers who see their own group', async () => {
    const c = await createCustomer(server);
    const res = await server.gql('{ me { group { code customerCount } } }', {}, tokens.customer(c.id));
    expect(res.data!.me).toEqual({ group: null });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const ok = await server.gql('{ me { group { code name } } }', {}, tokens.customer(c.id));
    expect(ok.data!.me.group.code).toBe('B2C');
  });
});
