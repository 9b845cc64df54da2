import { createCustomer, startTestServer, TestServer, tokens } from './helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const UPDATE = `mutation($id: ID!, $input: PreferencesInput!) {
  updatePreferences(customerId: $id, input: $input) {
    emailMarketing smsMarketing newsletter orderUpdates custom updatedAt
    consentLog { channel granted source ipAddress recordedAt }
  }
}`;

describe('updatePreferences', () => {
  it('applies changes and appends one consent record per changed flag, newest first', async () => {
    const c = await createCustomer(server);
    const first = await server.gql(UPDATE, { id: c.id, input: { emailMarketing: true, newsletter: true, orderUpdates: true } }, tokens.customer(c.id), {
      'x-client-source': 'mobile_app',
    });
    expect(first.errors).toBeUndefined();
    const p = first.data!.updatePreferences;
    expect(p).toMatchObject({ emailMarketing: true, newsletter: true, orderUpdates: true, smsMarketing: false });
    // orderUpdates was already on: no record for it
    expect(p.consentLog.map((r: { channel: string }) => r.channel).sort()).toEqual(['emailMarketing', 'newsletter']);
    expect(p.consentLog[0]).toMatchObject({ granted: true, source: 'MOBILE_APP' });
    expect(p.consentLog[0].ipAddress).toMatch(/127\.0\.0\.1/);

    const second = await server.gql(UPDATE, { id: c.id, input: { emailMarketing: false, custom: { theme: 'dark' } } }, tokens.admin());
    const log = second.data!.updatePreferences.consentLog;
    expect(second.data!.updatePreferences.custom).toEqual({ theme: 'dark' });
    expect(log).toHaveLength(3);
    expect(log[0]).toMatchObject({ channel: 'emailMarketing', granted: false, source: 'ADMIN' });
    // the withdrawal is kept alongside the original grant
    expect(log.filter((r: { channel: string }) => r.channel === 'emailMarketing').map((r: { granted: boolean }) => r.granted)).toEqual([false, true]);
  });

  it('refuses a number JSON cannot hold in custom (1e400 is Infinity; it was stored as null)', async () => {
    const c = await createCustomer(server);
    const res = await server.gql(
      `mutation($id: ID!) { updatePreferences(customerId: $id, input: { custom: { big: 1e400 } }) { custom } }`,
      { id: c.id },
      tokens.admin(),
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions!.fieldErrors).toEqual([expect.objectContaining({ message: 'numbers must be finite' })]);
  });

  it('limits the consent log with first', async () => {
    const c = await createCustomer(server);
    for (const v of [true, false, true, false]) await server.gql(UPDATE, { id: c.id, input: { smsMarketing: v } }, tokens.admin());
    const res = await server.gql('query($id: ID!) { customer(id: $id) { preferences { consentLog(first: 2) { granted } } } }', { id: c.id }, tokens.admin());
    expect(res.data!.customer.preferences.consentLog).toEqual([{ granted: false }, { granted: true }]);
  });

  it('keeps every consent record when updates race', async () => {
    const c = await createCustomer(server);
    const flips = Array.from({ length: 20 }, (_, i) => i % 2 === 0);
    await Promise.all(flips.map((v) => server.gql(UPDATE, { id: c.id, input: { pushNotifications: v } }, tokens.admin())));
    const rows = await server.db.query<{ granted: boolean }>(
      "SELECT granted FROM consent_log WHERE customer_id = $1 AND channel = 'pushNotifications' ORDER BY id",
      [c.id],
    );
    // every record is a real change: grants and withdrawals alternate
    rows.forEach((r, i) => expect(r.granted).toBe(i % 2 === 0));
    const [pref] = await server.db.query<{ push_notifications: boolean }>('SELECT push_notifications FROM customer_preferences WHERE customer_id = $1', [c.id]);
    expect(pref.push_notifications).toBe(rows[rows.length - 1].granted);
  });

  it('is for the owner or ADMIN only', async () => {
    const a = await createCustomer(server);
    const b = await createCustomer(server);
    expect((await server.gql(UPDATE, { id: b.id, input: { newsletter: true } }, tokens.customer(a.id))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(UPDATE, { id: b.id, input: { newsletter: true } }, tokens.service())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(UPDATE, { id: b.id, input: { newsletter: true } })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses custom values that are not JSON objects, and unknown customers', async () => {
    const c = await createCustomer(server);
    const bad = await server.gql(UPDATE, { id: c.id, input: { custom: 'text' } }, tokens.admin());
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const huge = await server.gql(UPDATE, { id: c.id, input: { custom: { blob: 'x'.repeat(20000) } } }, tokens.admin());
    expect(huge.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await server.gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { newsletter: true } }, tokens.admin());
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('consent log privacy', () => {
  const LOG = 'query($id: ID!) { customer(id: $id) { preferences { newsletter consentLog { channel source ipAddress } } } }';
  const update = (id: string, input: Record<string, boolean>, token: string, ip: string) =>
    server.gql('mutation($id: ID!, $input: PreferencesInput!) { updatePreferences(customerId: $id, input: $input) { newsletter } }', { id, input }, token, {
      'x-forwarded-for': ip,
    });

  it('shows a customer the address of their own consents, not of those an ADMIN recorded (ADMIN sees both), in the log and in the export', async () => {
    const c = await createCustomer(server);
    await update(c.id, { newsletter: true }, tokens.customer(c.id), '198.51.100.7');
    await update(c.id, { smsMarketing: true }, tokens.admin('staff-ann'), '203.0.113.9');

    const own = await server.gql(LOG, { id: c.id }, tokens.customer(c.id));
    expect(own.data!.customer.preferences.consentLog).toEqual([
      { channel: 'smsMarketing', source: 'ADMIN', ipAddress: null },
      { channel: 'newsletter', source: 'API', ipAddress: '198.51.100.7' },
    ]);
    const admin = await server.gql(LOG, { id: c.id }, tokens.admin());
    expect(admin.data!.customer.preferences.consentLog.map((r: { ipAddress: string }) => r.ipAddress)).toEqual(['203.0.113.9', '198.51.100.7']);

    // The customer's export (asked by them or by an ADMIN: it is their document) leaves it out too.
    for (const token of [tokens.customer(c.id), tokens.admin()]) {
      const exported = await server.gql('mutation($id: ID!) { exportCustomerData(id: $id) }', { id: c.id }, token);
      const log = exported.data!.exportCustomerData.consentLog as Record<string, unknown>[];
      expect(log.map((r) => [r.channel, r.ipAddress])).toEqual([
        ['newsletter', '198.51.100.7'],
        ['smsMarketing', null],
      ]);
      expect(JSON.stringify(log)).not.toMatch(/staff-ann|203\.0\.113\.9/);
    }
  });

  it('gives SERVICE tokens the consent records but no IP address (the policy: addresses are for the customer and ADMIN)', async () => {
    const c = await createCustomer(server);
    await update(c.id, { newsletter: true }, tokens.customer(c.id), '198.51.100.7');
    await update(c.id, { smsMarketing: true }, tokens.admin(), '203.0.113.9');
    const res = await server.gql(LOG, { id: c.id }, tokens.service());
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer.preferences.consentLog).toEqual([
      { channel: 'smsMarketing', source: 'ADMIN', ipAddress: null },
      { channel: 'newsletter', source: 'API', ipAddress: null },
    ]);
    // Through _entities (another subgraph via the router) alike.
    const entities = await server.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { preferences { consentLog { ipAddress } } } } }',
      { r: [{ __typename: 'Customer', id: c.id }] },
      tokens.service(),
    );
    expect(entities.data!._entities[0].preferences.consentLog).toEqual([{ ipAddress: null }, { ipAddress: null }]);
  });
});
