import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const FIELDS =
  'id customerId type firstName company addressLine1 addressLine2 city stateProvince postalCode countryCode phone label isDefault isVerified metadata';
const CREATE = `mutation($c: ID!, $input: AddressInput!) { createAddress(customerId: $c, input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: AddressUpdateInput!) { updateAddress(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteAddress(id: $id) }';
const SET_DEFAULT = 'mutation($c: ID!, $a: ID!) { setDefaultAddress(customerId: $c, addressId: $a) { id isDefault } }';
const READ = `query($id: ID!) { customer(id: $id) {
  addresses { id type isDefault city }
  shipping: addresses(type: SHIPPING) { id }
  defaultShippingAddress { id city }
  defaultBillingAddress { id city }
} }`;

let n = 0;
function address(overrides: Record<string, unknown> = {}) {
  n += 1;
  return { addressLine1: `${n} Main Street`, city: 'Springfield', postalCode: '10001', countryCode: 'US', ...overrides };
}

async function create(customerId: string, input: Record<string, unknown>, token = tokens.admin()) {
  const res = await server.gql(CREATE, { c: customerId, input }, token);
  if (!res.data?.createAddress) throw new Error(JSON.stringify(res.errors));
  return res.data.createAddress as { id: string; isDefault: boolean; type: string; postalCode: string; phone: string | null };
}

async function defaults(customerId: string) {
  return server.db.query<{ id: string; type: string }>(
    'SELECT id, type FROM customer_addresses WHERE customer_id = $1 AND is_default AND deleted_at IS NULL ORDER BY type',
    [customerId],
  );
}

describe('default addresses', () => {
  it('makes the first address of each type its default, and only the first', async () => {
    const c = await createCustomer(server);
    const s1 = await create(c.id, address());
    const s2 = await create(c.id, address());
    const b1 = await create(c.id, address({ type: 'BILLING' }));
    expect([s1.isDefault, s2.isDefault, b1.isDefault]).toEqual([true, false, true]);
    const read = await server.gql(READ, { id: c.id }, tokens.customer(c.id));
    const cust = read.data!.customer;
    expect(cust.defaultShippingAddress.id).toBe(s1.id);
    expect(cust.defaultBillingAddress.id).toBe(b1.id);
    // defaults first, then newest first
    expect(cust.addresses.map((a: { id: string }) => a.id)).toEqual([b1.id, s1.id, s2.id]);
    expect(cust.shipping.map((a: { id: string }) => a.id)).toEqual([s1.id, s2.id]);
  });

  it('moves the default with createAddress(isDefault: true) and setDefaultAddress', async () => {
    const c = await createCustomer(server);
    const first = await create(c.id, address());
    const second = await create(c.id, address({ isDefault: true }));
    expect(second.isDefault).toBe(true);
    expect(await defaults(c.id)).toEqual([{ id: second.id, type: 'SHIPPING' }]);
    const moved = await server.gql(SET_DEFAULT, { c: c.id, a: first.id }, tokens.customer(c.id));
    expect(moved.data!.setDefaultAddress).toEqual({ id: first.id, isDefault: true });
    expect(await defaults(c.id)).toEqual([{ id: first.id, type: 'SHIPPING' }]);
  });

  it('deleting the default soft-deletes it and promotes the newest other address of that type', async () => {
    const c = await createCustomer(server);
    const a = await create(c.id, address());
    const b = await create(c.id, address());
    const newest = await create(c.id, address());
    await create(c.id, address({ type: 'BILLING' }));
    expect((await server.gql(DELETE, { id: a.id }, tokens.customer(c.id))).data).toEqual({ deleteAddress: true });
    expect(await defaults(c.id)).toEqual([expect.objectContaining({ type: 'BILLING' }), { id: newest.id, type: 'SHIPPING' }]);
    const [row] = await server.db.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM customer_addresses WHERE id = $1', [a.id]);
    expect(row.deleted_at).toBeInstanceOf(Date);
    // deleting the rest leaves no shipping default, and never another type's
    await server.gql(DELETE, { id: newest.id }, tokens.admin());
    expect((await defaults(c.id)).find((d) => d.type === 'SHIPPING')?.id).toBe(b.id);
    await server.gql(DELETE, { id: b.id }, tokens.admin());
    const read = await server.gql(READ, { id: c.id }, tokens.customer(c.id));
    expect(read.data!.customer.defaultShippingAddress).toBeNull();
    expect(read.data!.customer.defaultBillingAddress).not.toBeNull();
    expect((await server.gql(DELETE, { id: b.id }, tokens.admin())).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('ends 50 concurrent default changes with exactly one default per type, and no 500s', async () => {
    const c = await createCustomer(server);
    const seeded: { id: string; type: string }[] = [];
    for (let i = 0; i < 5; i++) seeded.push(await create(c.id, address({ type: i % 2 ? 'BILLING' : 'SHIPPING' })));
    const calls = Array.from({ length: 50 }, (_, i) => {
      const type = i % 2 ? 'BILLING' : 'SHIPPING';
      if (i % 3 === 0) return server.gql(CREATE, { c: c.id, input: address({ type, isDefault: true }) }, tokens.customer(c.id));
      const target = seeded.filter((s) => s.type === type)[i % 2];
      return server.gql(SET_DEFAULT, { c: c.id, a: target.id }, tokens.customer(c.id));
    });
    const results = await Promise.all(calls);
    for (const r of results) {
      const code = r.errors?.[0].extensions?.code;
      expect(code === undefined || code === 'SERVICE_UNAVAILABLE').toBe(true);
      expect(JSON.stringify(r)).not.toMatch(/unique|duplicate key|INTERNAL/i);
    }
    const d = await defaults(c.id);
    expect(d.map((x) => x.type)).toEqual(['BILLING', 'SHIPPING']);
  });

  it('is guaranteed by the database: a second live default of a type is refused by the unique index', async () => {
    const c = await createCustomer(server);
    await create(c.id, address());
    await expect(
      server.db.query(
        `INSERT INTO customer_addresses (customer_id, type, address_line_1, city, country_code, is_default)
         VALUES ($1, 'SHIPPING', 'x', 'y', 'US', TRUE)`,
        [c.id],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'uq_addresses_one_default' });
  });
});

describe('address validation and normalisation', () => {
  it('normalises country, postal code, phone and strings', async () => {
    const c = await createCustomer(server);
    const a = await create(c.id, {
      addressLine1: '  24 Sussex Drive ',
      addressLine2: '   ',
      city: 'Ottawa',
      countryCode: 'ca',
      postalCode: 'k1a0b1',
      phone: '(613) 555-0100',
      company: '',
    });
    expect(a).toMatchObject({
      countryCode: 'CA',
      postalCode: 'K1A 0B1',
      phone: '+16135550100',
      addressLine1: '24 Sussex Drive',
      addressLine2: null,
      company: null,
    });
    const vn = await create(c.id, address({ countryCode: 'VN', postalCode: '700000', phone: '0912 345 678', city: 'Ho Chi Minh City' }));
    expect(vn).toMatchObject({ postalCode: '700000', phone: '+84912345678' });
    const hk = await create(c.id, address({ countryCode: 'HK', postalCode: null, city: 'Hong Kong' }));
    expect(hk.postalCode).toBeNull();
  });

  it('answers BAD_USER_INPUT naming each broken field', async () => {
    const c = await createCustomer(server);
    const cases: [Record<string, unknown>, string][] = [
      [address({ countryCode: 'XX' }), 'input.countryCode'],
      [address({ countryCode: 'UK' }), 'input.countryCode'],
      [address({ countryCode: 'USA' }), 'input.countryCode'],
      [address({ postalCode: '1234' }), 'input.postalCode'],
      [address({ countryCode: 'DE', postalCode: null }), 'input.postalCode'],
      [address({ phone: '12' }), 'input.phone'],
      [address({ city: '  ' }), 'input.city'],
      [address({ addressLine1: 'x'.repeat(256) }), 'input.addressLine1'],
      [address({ metadata: 'text' }), 'input.metadata'],
    ];
    for (const [input, field] of cases) {
      const res = await server.gql(CREATE, { c: c.id, input }, tokens.admin());
      expect({ field, code: res.errors?.[0].extensions?.code }).toEqual({ field, code: 'BAD_USER_INPUT' });
      expect(res.errors![0].extensions!.fieldErrors!.map((f) => f.field)).toContain(field);
    }
    // A required field of only whitespace is missing, and says so once (not also "must be shorter than ...").
    const blank = await server.gql(CREATE, { c: c.id, input: address({ addressLine1: '   ' }) }, tokens.admin());
    expect(blank.errors![0].extensions!.fieldErrors).toEqual([{ field: 'input.addressLine1', message: 'addressLine1 is required' }]);
  });

  it('re-validates the postal code when an update changes the country, keeping untouched fields', async () => {
    const c = await createCustomer(server);
    const a = await create(c.id, address({ label: 'Home', company: 'ACME' }));
    const bad = await server.gql(UPDATE, { id: a.id, input: { countryCode: 'GB' } }, tokens.customer(c.id));
    expect(bad.errors?.[0].extensions?.fieldErrors?.[0].field).toBe('input.postalCode');
    const ok = await server.gql(
      UPDATE,
      { id: a.id, input: { countryCode: 'gb', postalCode: 'sw1a1aa', city: 'London', company: null } },
      tokens.customer(c.id),
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.updateAddress).toMatchObject({ countryCode: 'GB', postalCode: 'SW1A 1AA', city: 'London', label: 'Home', company: null, isDefault: true });
  });
});

describe('duplicates and limits', () => {
  it('returns the existing address when the same one (after normalisation) is created again', async () => {
    const c = await createCustomer(server);
    const a = await create(c.id, { addressLine1: '1 Infinite Loop', city: 'Cupertino', postalCode: '95014', countryCode: 'US' });
    const again = await create(c.id, { addressLine1: ' 1 INFINITE LOOP ', city: 'cupertino', postalCode: '95014', countryCode: 'us', label: 'Work' });
    expect(again.id).toBe(a.id);
    const billing = await create(c.id, { addressLine1: '1 Infinite Loop', city: 'Cupertino', postalCode: '95014', countryCode: 'US', type: 'BILLING' });
    expect(billing.id).not.toBe(a.id);
    const [{ n: count }] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_addresses WHERE customer_id = $1', [c.id]);
    expect(count).toBe(2);
  });

  it('refuses a 51st live address with a clear error', async () => {
    const c = await createCustomer(server);
    await server.db.query(
      `INSERT INTO customer_addresses (customer_id, address_line_1, city, country_code, postal_code)
       SELECT $1, i || ' Bulk Road', 'Town', 'US', '10001' FROM generate_series(1, 50) AS i`,
      [c.id],
    );
    const res = await server.gql(CREATE, { c: c.id, input: address() }, tokens.admin());
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/at most 50 addresses/);
  });
});

describe('address ownership', () => {
  it('lets only the owner or ADMIN read and change addresses; others get NOT_FOUND', async () => {
    const owner = await createCustomer(server);
    const other = await createCustomer(server);
    const a = await create(owner.id, address(), tokens.customer(owner.id));
    const asOther = tokens.customer(other.id);
    expect((await server.gql(UPDATE, { id: a.id, input: { city: 'X' } }, asOther)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql(DELETE, { id: a.id }, asOther)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql(SET_DEFAULT, { c: other.id, a: a.id }, asOther)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql(CREATE, { c: owner.id, input: address() }, asOther)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const entities = await server.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on CustomerAddress { id city } } }',
      { r: [{ __typename: 'CustomerAddress', id: a.id }] },
      asOther,
    );
    expect(entities.data!._entities).toEqual([null]);
    expect(entities.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // a SERVICE token may read the customer but not their addresses
    const asService = await server.gql(READ, { id: owner.id }, tokens.service());
    expect(asService.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // the owner and ADMIN can
    expect((await server.gql(UPDATE, { id: a.id, input: { city: 'Mine' } }, tokens.customer(owner.id))).data!.updateAddress.city).toBe('Mine');
    expect((await server.gql(UPDATE, { id: a.id, input: { city: 'Admin' } }, tokens.admin())).data!.updateAddress.city).toBe('Admin');
    expect((await server.gql(DELETE, { id: a.id })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('address batching', () => {
  it('resolves CustomerAddress representations in order, batched, null for unknown ids', async () => {
    const c = await createCustomer(server);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await create(c.id, address())).id);
    const q = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on CustomerAddress { id customerId } } }';
    const reps = (list: string[]) => list.map((id) => ({ __typename: 'CustomerAddress', id }));
    let res: any;
    const many = await server.countStatements(async () => {
      res = await server.gql(q, { r: reps([...ids, '00000000-0000-4000-8000-000000000000']) }, tokens.admin());
    });
    const few = await server.countStatements(() => server.gql(q, { r: reps(ids.slice(0, 2)) }, tokens.admin()));
    expect(res.data._entities.slice(0, 12).map((a: { id: string }) => a.id)).toEqual(ids);
    expect(res.data._entities[12]).toBeNull();
    expect(many).toBe(few);
  });

  it('costs the same number of statements for 10 or 100 customers with addresses and both defaults', async () => {
    const customers = [];
    for (let i = 0; i < 100; i++) customers.push(await createCustomer(server, { email: `page${i}@addresses.test` }));
    await server.db.query(
      `INSERT INTO customer_addresses (customer_id, type, address_line_1, city, country_code, postal_code, is_default)
       SELECT id, t, 'Road', 'Town', 'US', '10001', TRUE FROM unnest($1::uuid[]) AS id, unnest(ARRAY['SHIPPING', 'BILLING']) AS t`,
      [customers.map((c) => c.id)],
    );
    const q = `query($first: Int) { customers(first: $first, filter: { search: "page" }) { nodes { id
      addresses { id city } defaultShippingAddress { id } defaultBillingAddress { id } } } }`;
    let res: any;
    const hundred = await server.countStatements(async () => {
      res = await server.gql(q, { first: 100 }, tokens.admin());
    });
    const ten = await server.countStatements(() => server.gql(q, { first: 10 }, tokens.admin()));
    expect(res.errors).toBeUndefined();
    expect(res.data.customers.nodes).toHaveLength(100);
    expect(res.data.customers.nodes.every((n: any) => n.addresses.length === 2 && n.defaultShippingAddress && n.defaultBillingAddress)).toBe(true);
    expect(hundred).toBe(ten);
    expect(hundred).toBeLessThanOrEqual(2);
  });
});
