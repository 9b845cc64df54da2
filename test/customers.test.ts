import { CREATE_CUSTOMER, createCustomer, startTestServer, TestServer, tokens, uniqueEmail } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const CUSTOMER = `query($id: ID!) { customer(id: $id) { id email firstName lastName displayName phone dateOfBirth gender customerType status emailVerified twoFactorEnabled registrationSource metadata createdAt updatedAt group { code isDefault } preferences { emailMarketing orderUpdates custom } } }`;

describe('createCustomer', () => {
  it('creates a customer with default preferences and the default group, normalising email and phone', async () => {
    const email = uniqueEmail('Mixed.Case');
    const res = await server.gql(
      CREATE_CUSTOMER.replace('group { id code }', 'group { id code } phone registrationSource metadata'),
      {
        input: {
          email: `  ${email.toUpperCase()}  `,
          firstName: '  Ann ',
          lastName: 'Lee',
          phone: '+1 (415) 555-0123',
          registrationSource: 'IMPORT',
          metadata: { crm: 42 },
        },
      },
      tokens.admin(),
    );
    expect(res.errors).toBeUndefined();
    const c = res.data!.createCustomer;
    expect(c).toMatchObject({
      email: email.toLowerCase(),
      firstName: 'Ann',
      status: 'ACTIVE',
      customerType: 'INDIVIDUAL',
      phone: '+14155550123',
      registrationSource: 'IMPORT',
      metadata: { crm: 42 },
      group: { code: 'B2C' },
    });
    const [prefs] = await server.db.query<{ email_marketing: boolean; order_updates: boolean }>(
      'SELECT email_marketing, order_updates FROM customer_preferences WHERE customer_id = $1',
      [c.id],
    );
    expect(prefs).toEqual({ email_marketing: false, order_updates: true });
  });

  it('answers EMAIL_TAKEN for a duplicate email in another case', async () => {
    const email = uniqueEmail();
    await createCustomer(server, { email });
    const res = await server.gql(CREATE_CUSTOMER, { input: { email: email.toUpperCase() } }, tokens.admin());
    expect(res.errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
  });

  it('lets exactly one of many racing creates of one email win; the rest answer EMAIL_TAKEN', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => server.gql(CREATE_CUSTOMER, { input: { email: i % 2 ? email : email.toUpperCase() } }, tokens.admin())),
    );
    const ok = results.filter((r) => r.data?.createCustomer);
    const taken = results.filter((r) => r.errors?.[0].extensions?.code === 'EMAIL_TAKEN');
    expect(ok).toHaveLength(1);
    expect(taken).toHaveLength(11);
    const [{ n }] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customers WHERE lower(email) = $1', [email]);
    expect(n).toBe(1);
  });

  it('answers BAD_USER_INPUT with fieldErrors for invalid input', async () => {
    const res = await server.gql(
      CREATE_CUSTOMER,
      { input: { email: 'not-an-email', phone: '555-0123', firstName: 'x'.repeat(101), metadata: [1, 2] } },
      tokens.admin(),
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const fields = res.errors![0].extensions!.fieldErrors!.map((f) => f.field).sort();
    expect(fields).toEqual(['input.email', 'input.firstName', 'input.metadata', 'input.phone']);
  });

  it('refuses a date of birth in the future and an unknown group', async () => {
    const future = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail(), dateOfBirth: '2999-01-01' } }, tokens.admin());
    expect(future.errors?.[0].extensions?.fieldErrors?.[0].field).toBe('input.dateOfBirth');
    const badDate = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail(), dateOfBirth: '1990-02-31' } }, tokens.admin());
    expect(badDate.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const group = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail(), groupId: '00000000-0000-4000-8000-000000000000' } }, tokens.admin());
    expect(group.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('is refused to customers and anonymous callers, allowed to SERVICE', async () => {
    const c = await createCustomer(server);
    const asCustomer = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail() } }, tokens.customer(c.id));
    expect(asCustomer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail() } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const asService = await server.gql(CREATE_CUSTOMER, { input: { email: uniqueEmail() } }, tokens.service());
    expect(asService.errors).toBeUndefined();
  });
});

describe('reading customers', () => {
  it('lets a customer read themselves through me and customer(id), and nobody else', async () => {
    const a = await createCustomer(server, { firstName: 'Alice' });
    const b = await createCustomer(server);
    const me = await server.gql('{ me { id displayName } }', {}, tokens.customer(a.id));
    expect(me.data!.me).toEqual({ id: a.id, displayName: 'Alice' });
    const own = await server.gql(CUSTOMER, { id: a.id }, tokens.customer(a.id));
    expect(own.data!.customer.email).toBe(a.email);
    const other = await server.gql(CUSTOMER, { id: b.id }, tokens.customer(a.id));
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(other.data?.customer ?? null).toBeNull();
    const anonymous = await server.gql(CUSTOMER, { id: a.id });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous)).not.toContain(a.email);
  });

  it('answers me = null for anonymous and staff callers', async () => {
    expect((await server.gql('{ me { id } }')).data).toEqual({ me: null });
    expect((await server.gql('{ me { id } }', {}, tokens.admin())).data).toEqual({ me: null });
  });

  it('returns null for unknown ids and unknown emails; a malformed id is BAD_USER_INPUT', async () => {
    const unknown = await server.gql(CUSTOMER, { id: '00000000-0000-4000-8000-000000000000' }, tokens.admin());
    expect(unknown).toMatchObject({ data: { customer: null } });
    expect(unknown.errors).toBeUndefined();
    const malformed = await server.gql(CUSTOMER, { id: 'not-a-uuid' }, tokens.admin());
    expect(malformed).toMatchObject({ data: { customer: null } });
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', fieldErrors: [{ field: 'id', message: 'must be a UUID' }] });
    const byEmail = await server.gql('query($e: String!) { customerByEmail(email: $e) { id } }', { e: uniqueEmail() }, tokens.service());
    expect(byEmail).toMatchObject({ data: { customerByEmail: null } });
  });

  it('finds by email ignoring case and surrounding spaces, for staff only', async () => {
    const c = await createCustomer(server);
    const q = 'query($e: String!) { customerByEmail(email: $e) { id } }';
    expect((await server.gql(q, { e: ` ${c.email.toUpperCase()} ` }, tokens.admin())).data!.customerByEmail.id).toBe(c.id);
    expect((await server.gql(q, { e: c.email }, tokens.customer(c.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('resolves fields reached through fragments, aliases and derived fields alike', async () => {
    const c = await createCustomer(server, { firstName: 'Frag', lastName: 'Ment', phone: '+4930123456' });
    const q = `query($id: ID!) {
      customer(id: $id) { ...Names who: displayName g: group { code } }
      customers(first: 100) { nodes { ... on Customer { id displayName } } edges { node { ...Names } } }
    }
    fragment Names on Customer { id phone createdAt }`;
    const res = await server.gql(q, { id: c.id }, tokens.admin());
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer).toMatchObject({ id: c.id, phone: '+4930123456', who: 'Frag Ment', g: { code: 'B2C' } });
    expect(res.data!.customer.createdAt).toMatch(/Z$/);
    expect(res.data!.customers.nodes.find((n: { id: string }) => n.id === c.id).displayName).toBe('Frag Ment');
    expect(res.data!.customers.edges.find((e: { node: { id: string } }) => e.node.id === c.id).node.phone).toBe('+4930123456');
  });

  it('computes displayName from the email when no name is set', async () => {
    const c = await createCustomer(server, { email: uniqueEmail('nameless') });
    const res = await server.gql(CUSTOMER, { id: c.id }, tokens.admin());
    expect(res.data!.customer.displayName).toBe(c.email.split('@')[0]);
    expect(res.data!.customer.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('updateCustomer', () => {
  const UPDATE =
    'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id email firstName lastName phone dateOfBirth gender customerType metadata } }';

  it('changes only the given fields; explicit null clears a nullable field', async () => {
    const c = await createCustomer(server, { firstName: 'Old', lastName: 'Name', phone: '+4930123456' });
    const res = await server.gql(
      UPDATE,
      { id: c.id, input: { firstName: 'New', phone: null, dateOfBirth: '1990-05-17', gender: 'FEMALE' } },
      tokens.customer(c.id),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateCustomer).toMatchObject({ firstName: 'New', lastName: 'Name', phone: null, dateOfBirth: '1990-05-17', gender: 'FEMALE' });
  });

  it("refuses clearing the email, taking another customer's email, and changing someone else", async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    expect((await server.gql(UPDATE, { id: a.id, input: { email: null } }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await server.gql(UPDATE, { id: a.id, input: { email: b.email.toUpperCase() } }, tokens.admin())).errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
    expect((await server.gql(UPDATE, { id: b.id, input: { firstName: 'Mallory' } }, tokens.customer(a.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('answers NOT_FOUND for an unknown customer', async () => {
    const res = await server.gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { firstName: 'X' } }, tokens.admin());
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('setCustomerStatus', () => {
  const SET = 'mutation($id: ID!, $s: CustomerStatus!) { setCustomerStatus(id: $id, status: $s) { id status } }';

  it('lets ADMIN change the status, refuses DELETED and non-admins', async () => {
    const c = await createCustomer(server);
    expect((await server.gql(SET, { id: c.id, s: 'SUSPENDED' }, tokens.admin())).data!.setCustomerStatus.status).toBe('SUSPENDED');
    expect((await server.gql(SET, { id: c.id, s: 'DELETED' }, tokens.admin())).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await server.gql(SET, { id: c.id, s: 'ACTIVE' }, tokens.service())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(SET, { id: c.id, s: 'ACTIVE' }, tokens.customer(c.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('deleted customers', () => {
  it('are invisible to reads', async () => {
    const c = await createCustomer(server);
    await server.db.query("UPDATE customers SET status = 'DELETED', deleted_at = now() WHERE id = $1", [c.id]);
    expect((await server.gql(CUSTOMER, { id: c.id }, tokens.admin())).data).toEqual({ customer: null });
    expect((await server.gql('{ me { id } }', {}, tokens.customer(c.id))).data).toEqual({ me: null });
    const byEmail = await server.gql('query($e: String!) { customerByEmail(email: $e) { id } }', { e: c.email }, tokens.admin());
    expect(byEmail.data).toEqual({ customerByEmail: null });
  });
});
