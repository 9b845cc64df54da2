import Redis from 'ioredis';
import pg from 'pg';
import { awayFromStepEdge, fromIp, lastEvent, login, register, totpAt } from './helpers/accounts';
import { createCustomer, errorCode, REDIS_ADDR, redisEnv, startTestServer, TestServer, tokens } from './helpers/server';

// GDPR erasure and export over HTTP, on the real PostgreSQL and Redis. The scan test reads
// every table of the database and the Redis stream after erasure.

let server: TestServer;
let namespace: string;
beforeAll(async () => {
  const env = redisEnv();
  namespace = env.CUSTOMER_EVENTS_NAMESPACE;
  server = await startTestServer(env);
});
afterAll(() => server.close());

const admin = tokens.admin();
const DELETE = 'mutation($id: ID!, $p: String, $c: String) { deleteCustomer(id: $id, password: $p, twoFactorCode: $c) { customerId deletedAt anonymized } }';
const EXPORT = 'mutation($id: ID!, $after: String) { exportCustomerData(id: $id, auditAfter: $after) }';

/** A customer with something in every table that can hold personal data. */
async function fullCustomer(marker: string) {
  const ip = `203.0.113.${Math.floor(Math.random() * 200) + 20}`;
  const headers = { ...fromIp(ip), 'user-agent': `agent-${marker}` };
  const values = {
    email: `${marker}.person@${marker}-mail.test`,
    firstName: `First${marker}`,
    lastName: `Last${marker}`,
    phone: '+14155550199',
    street: `${marker} Erasure Street 7`,
    // Letters, so it cannot turn up by chance inside an id or a timestamp.
    postalCode: 'EC1A 1BB',
    ip,
  };
  const account = await register(
    server,
    { email: values.email, firstName: values.firstName, lastName: values.lastName, phone: values.phone, password: `Pw-${marker}-secret` },
    headers,
  );
  const gql = (q: string, v: Record<string, unknown>) => server.gql(q, v, account.token, headers);
  const address = await gql('mutation($id: ID!, $input: AddressInput!) { createAddress(customerId: $id, input: $input) { id } }', {
    id: account.id,
    input: {
      firstName: values.firstName,
      lastName: values.lastName,
      addressLine1: values.street,
      city: 'London',
      postalCode: values.postalCode,
      countryCode: 'GB',
      phone: values.phone,
    },
  });
  // A second one, deleted: soft-deleted rows still hold personal data.
  const second = await gql('mutation($id: ID!, $input: AddressInput!) { createAddress(customerId: $id, input: $input) { id } }', {
    id: account.id,
    input: { addressLine1: `${values.street} (old)`, city: 'London', postalCode: values.postalCode, countryCode: 'GB' },
  });
  await gql('mutation($id: ID!) { deleteAddress(id: $id) }', { id: second.data!.createAddress.id });
  await gql('mutation($id: ID!) { updateCustomer(id: $id, input: { dateOfBirth: "1985-04-12", metadata: { nickname: "nick' + marker + '" } }) { id } }', {
    id: account.id,
  });
  await gql('mutation($id: ID!) { updatePreferences(customerId: $id, input: { emailMarketing: true, newsletter: true }) { emailMarketing } }', {
    id: account.id,
  });
  await gql('mutation($id: ID!) { addToWishlist(customerId: $id, productId: "sku-1") { addedAt } }', { id: account.id });
  await login(server, values.email, 'wrong password', undefined, headers);
  await login(server, values.email, `Pw-${marker}-secret`, undefined, headers);
  await gql('mutation { requestEmailVerification }', {});
  const step = await awayFromStepEdge();
  const { secret } = (
    await gql('mutation($id: ID!, $pw: String) { enableTwoFactor(customerId: $id, currentPassword: $pw) { secret } }', {
      id: account.id,
      pw: `Pw-${marker}-secret`,
    })
  ).data!.enableTwoFactor;
  await gql('mutation($id: ID!, $c: String!) { confirmTwoFactor(customerId: $id, code: $c) { codes } }', { id: account.id, c: totpAt(secret, step - 1) });
  const segment = await server.gql(
    'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
    { input: { name: `GB ${marker}`, rules: [{ field: 'COUNTRY_CODE', operator: 'EQ', value: 'GB' }] } },
    admin,
  );
  await server.gql('mutation($id: ID!) { refreshSegment(id: $id) { added } }', { id: segment.data!.createSegment.id }, admin);
  return { account, values, secret, step, headers, addressId: address.data!.createAddress.id, segmentId: segment.data!.createSegment.id };
}

describe('erasure', () => {
  it('leaves none of the personal values in any table or in the Redis stream', async () => {
    const marker = `m${Date.now().toString(36)}`;
    const { account, values, headers } = await fullCustomer(marker);
    const res = await server.gql(DELETE, { id: account.id, p: `Pw-${marker}-secret` }, account.token, headers);
    expect(res.errors).toBeUndefined();
    expect(res.data!.deleteCustomer).toMatchObject({ customerId: account.id, anonymized: true });
    await server.app.relay.idle();

    const tables = await server.db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.length).toBeGreaterThan(15);
    const needles = Object.values(values).map((v) => v.toLowerCase());
    for (const { name } of tables) {
      const rows = await server.db.query<{ t: string }>(`SELECT lower(t::text) AS t FROM ${name} t`);
      for (const { t } of rows)
        for (const needle of needles) expect({ table: name, found: t.includes(needle) ? needle : null }).toEqual({ table: name, found: null });
    }
    const redis = new Redis(REDIS_ADDR);
    try {
      const entries = await redis.xrange(`${namespace}customer.events`, '-', '+');
      expect(entries.length).toBeGreaterThan(10);
      const text = JSON.stringify(entries).toLowerCase();
      for (const needle of needles) expect({ stream: needle, found: text.includes(needle) }).toEqual({ stream: needle, found: false });
    } finally {
      redis.disconnect();
    }
  });

  it('keeps the id, marks the customer DELETED, removes secrets and memberships, and audits it without personal data', async () => {
    const marker = `k${Date.now().toString(36)}`;
    const { account, values, secret, step, segmentId } = await fullCustomer(marker);
    // A code stands in for the password only in a session opened after the factor was enrolled.
    const signedIn = await login(server, values.email, `Pw-${marker}-secret`, totpAt(secret, step));
    const res = await server.gql(DELETE, { id: account.id, c: totpAt(secret, step + 1) }, signedIn.data!.login.accessToken);
    expect(res.data!.deleteCustomer.customerId).toBe(account.id);

    const [row] = await server.db.query<Record<string, unknown>>(
      'SELECT email, first_name, last_name, phone, date_of_birth, metadata, status, deleted_at FROM customers WHERE id = $1',
      [account.id],
    );
    expect(row).toMatchObject({
      email: `erased+${account.id}@erased.invalid`,
      first_name: null,
      last_name: null,
      phone: null,
      date_of_birth: null,
      metadata: {},
      status: 'DELETED',
    });
    for (const table of [
      'customer_addresses',
      'customer_wishlist_items',
      'customer_sessions',
      'customer_tokens',
      'customer_two_factor',
      'customer_recovery_codes',
      'customer_credentials',
      'customer_segment_members',
    ]) {
      const [{ n }] = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE customer_id = $1`, [account.id]);
      expect({ table, n }).toEqual({ table, n: 0 });
    }
    const [consents] = await server.db.query<{ n: number; withIp: number }>(
      'SELECT count(*)::int AS n, count(ip_address)::int AS "withIp" FROM consent_log WHERE customer_id = $1',
      [account.id],
    );
    expect(consents).toEqual({ n: 2, withIp: 0 });
    const audit = await server.db.query<{ event_type: string; old_values: unknown; new_values: unknown; ip_address: unknown; user_agent: unknown }>(
      'SELECT event_type, old_values, new_values, ip_address, user_agent FROM audit_events WHERE customer_id = $1 ORDER BY created_at',
      [account.id],
    );
    expect(audit.length).toBeGreaterThan(8);
    expect(audit.map((a) => a.event_type)).toContain('customer.login.success');
    expect(audit.filter((a) => a.event_type === 'customer.profile.delete')).toEqual([
      { event_type: 'customer.profile.delete', old_values: null, new_values: { status: 'DELETED' }, ip_address: null, user_agent: null },
    ]);
    for (const a of audit.filter((x) => x.event_type !== 'customer.profile.delete')) {
      expect([a.old_values, a.new_values, a.ip_address, a.user_agent]).toEqual([null, null, null, null]);
    }
    expect(await lastEvent(server, account.id, 'customer.deleted')).toMatchObject({ data: { customerId: account.id } });
    const leave = await server.db.query(
      "SELECT 1 FROM outbox_events WHERE customer_id = $1 AND type = 'segment.membership_changed' AND payload->'data'->>'joined' = 'false' AND payload->'data'->>'segmentId' = $2",
      [account.id, segmentId],
    );
    expect(leave).toHaveLength(1);

    // The token stopped working (its session is gone), and the email can register again.
    expect(errorCode(await server.gql('{ me { id } }', {}, account.token))).toBe('UNAUTHENTICATED');
    const again = await register(server, { email: `${marker}.person@${marker}-mail.test` });
    expect(again.id).not.toBe(account.id);
  });

  it('answers the same receipt twice, to an ADMIN and to the owner, and _entities resolves the erased customer without personal data', async () => {
    const c = await createCustomer(server, { firstName: 'Gone', lastName: 'Soon' });
    const first = await server.gql(DELETE, { id: c.id }, admin);
    const second = await server.gql(DELETE, { id: c.id }, admin);
    expect(second.data).toEqual(first.data);
    // The owner too (a platform token outlives the sessions), with nothing left to confirm with.
    const account = await register(server);
    const byOwner = await server.gql(DELETE, { id: account.id, p: account.password }, account.token);
    expect((await server.gql(DELETE, { id: account.id }, tokens.customer(account.id))).data).toEqual(byOwner.data);
    const entities = await server.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id email firstName lastName status addresses { id } } } }',
      { r: [{ __typename: 'Customer', id: c.id }] },
      admin,
    );
    expect(entities.errors).toBeUndefined();
    expect(entities.data!._entities).toEqual([
      { id: c.id, email: `erased+${c.id}@erased.invalid`, firstName: null, lastName: null, status: 'DELETED', addresses: [] },
    ]);
    // The root field still answers only live customers.
    expect((await server.gql('query($id: ID!) { customer(id: $id) { id } }', { id: c.id }, admin)).data).toEqual({ customer: null });
  });

  it("no one can take an erased customer's placeholder address first and so block the erasure", async () => {
    const victim = await createCustomer(server);
    const placeholder = `erased+${victim.id}@erased.invalid`;
    const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }';
    const taken = await server.gql(REGISTER, { input: { email: placeholder.toUpperCase(), password: 'correct horse battery' } });
    expect(errorCode(taken)).toBe('BAD_USER_INPUT');
    expect(taken.errors![0].extensions!.fieldErrors![0].field).toBe('input.email');
    for (const email of [placeholder, 'someone@mail.invalid', 'someone@invalid', 'someone@erased.invalid.']) {
      const created = await server.gql('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', { input: { email } }, admin);
      expect(errorCode(created)).toBe('BAD_USER_INPUT');
    }
    const other = await createCustomer(server);
    const moved = await server.gql(
      'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }',
      { id: other.id, input: { email: placeholder } },
      admin,
    );
    expect(errorCode(moved)).toBe('BAD_USER_INPUT');
    // (An address that merely mentions it is fine.)
    expect((await createCustomer(server, { email: `ann@invalid-${victim.id.slice(0, 8)}.example.com` })).id).toBeDefined();

    const erased = await server.gql(DELETE, { id: victim.id }, admin);
    expect(erased.errors).toBeUndefined();
    expect(erased.data!.deleteCustomer.anonymized).toBe(true);
  });

  it('a password reset request, a password change and a failed login racing an erasure write nothing for the erased customer', async () => {
    const account = await register(server, {}, { 'user-agent': 'UA-PERSONAL' });
    const other = new pg.Client({ connectionString: server.dsn });
    await other.connect();
    try {
      // An erasure under way (as gdpr.service.ts runs it): the customer's row lock taken and their
      // secrets removed, not yet committed.
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [account.id]);
      await other.query('DELETE FROM customer_tokens WHERE customer_id = $1', [account.id]);
      await other.query('DELETE FROM customer_credentials WHERE customer_id = $1', [account.id]);
      const racing = Promise.all([
        server.gql('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: account.email }),
        server.gql(
          'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
          { c: account.password, n: 'a brand new passphrase' },
          account.token,
        ),
        login(server, account.email, 'not the password', undefined, { 'user-agent': 'UA-PERSONAL' }),
      ]);
      await new Promise((r) => setTimeout(r, 500));
      await other.query("UPDATE customers SET deleted_at = now(), status = 'DELETED' WHERE id = $1", [account.id]);
      await other.query('COMMIT');
      const [reset, change, failed] = await racing;
      expect(reset.data).toEqual({ requestPasswordReset: true });
      expect(errorCode(change)).toBe('INVALID_CREDENTIALS');
      expect(errorCode(failed)).toBe('INVALID_CREDENTIALS');
    } finally {
      await other.end();
    }
    const [left] = await server.db.query<{ tokens: number; credentials: number; failures: number; resets: number }>(
      `SELECT (SELECT count(*)::int FROM customer_tokens WHERE customer_id = $1) AS tokens,
              (SELECT count(*)::int FROM customer_credentials WHERE customer_id = $1) AS credentials,
              (SELECT count(*)::int FROM audit_events WHERE customer_id = $1 AND created_at > now() - interval '1 minute'
                  AND event_type IN ('customer.login.failed', 'customer.password.change', 'customer.password.reset_requested')) AS failures,
              (SELECT count(*)::int FROM outbox_events WHERE customer_id = $1 AND type = 'customer.password_reset_requested') AS resets`,
      [account.id],
    );
    expect(left).toEqual({ tokens: 0, credentials: 0, failures: 0, resets: 0 });
  });

  it('an OWNER must confirm with their password (or a two-factor code); others may not erase', async () => {
    const account = await register(server);
    expect(errorCode(await server.gql(DELETE, { id: account.id }, account.token))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.gql(DELETE, { id: account.id, p: 'wrong password' }, account.token))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await server.gql(DELETE, { id: account.id, c: '123456' }, account.token))).toBe('BAD_USER_INPUT');
    const other = await register(server);
    expect(errorCode(await server.gql(DELETE, { id: account.id, p: account.password }, other.token))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(DELETE, { id: account.id }, tokens.service()))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(DELETE, { id: account.id }))).toBe('UNAUTHENTICATED');
    expect((await server.gql(DELETE, { id: account.id, p: account.password }, account.token)).data!.deleteCustomer.anonymized).toBe(true);
  });

  it('a customer with neither a password nor a second factor cannot erase themselves with their token alone; an ADMIN can', async () => {
    // Created by the back office, signed in through the platform's auth service: a token is all they hold.
    const c = await createCustomer(server);
    const own = tokens.customer(c.id);
    const refused = await server.gql(DELETE, { id: c.id }, own);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(refused.errors![0].message).toMatch(/Set a password first/);
    expect((await server.gql('query($id: ID!) { customer(id: $id) { status } }', { id: c.id }, own)).data!.customer.status).toBe('ACTIVE');
    expect((await server.gql(DELETE, { id: c.id }, tokens.admin())).data!.deleteCustomer.anonymized).toBe(true);
  });
});

describe('export', () => {
  it('answers one versioned document with every record held, secrets left out, and audits the export', async () => {
    const marker = `e${Date.now().toString(36)}`;
    const { account, values, addressId, segmentId, secret } = await fullCustomer(marker);
    // An ADMIN acts on the account: who they are and where from is theirs, not the customer's.
    await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { lastName: "ByAdmin" }) { id } }', { id: account.id }, admin, {
      ...fromIp('198.51.100.77'),
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const res = await server.gql(EXPORT, { id: account.id }, account.token);
    expect(res.errors).toBeUndefined();
    const doc = res.data!.exportCustomerData;
    const byAdmin = doc.auditTrail.events.find((e: { newValues: { lastName?: string } | null }) => e.newValues?.lastName === 'ByAdmin');
    expect(byAdmin).toMatchObject({ actorId: null, ipAddress: null, userAgent: null, sessionId: null, traceId: null });
    expect(JSON.stringify(doc)).not.toMatch(/198\.51\.100\.77|0af7651916cd43dd8448eb211c80319c/);
    expect(doc).toMatchObject({
      format: 'customer-data-export',
      version: 1,
      customer: { id: account.id, email: values.email, firstName: values.firstName, phone: values.phone, dateOfBirth: '1985-04-12' },
      group: { code: 'B2C' },
      preferences: { emailMarketing: true, newsletter: true },
      wishlist: [{ productId: 'sku-1' }],
      segments: expect.arrayContaining([expect.objectContaining({ id: segmentId })]),
      twoFactor: { enabled: true, recoveryCodesLeft: 10 },
      auditTrail: { nextCursor: null },
    });
    expect(doc.addresses).toHaveLength(2);
    expect(doc.addresses.find((a: { id: string }) => a.id === addressId)).toMatchObject({ addressLine1: values.street, deletedAt: null });
    expect(doc.addresses.filter((a: { deletedAt: string | null }) => a.deletedAt !== null)).toHaveLength(1);
    expect(doc.consentLog).toEqual(expect.arrayContaining([expect.objectContaining({ channel: expect.any(String), granted: true, ipAddress: values.ip })]));
    expect(doc.sessions.length).toBeGreaterThanOrEqual(2);
    expect(doc.sessions[0]).toMatchObject({ ipAddress: values.ip, userAgent: `agent-${marker}` });
    expect(doc.auditTrail.events.map((e: { eventType: string }) => e.eventType)).toEqual(
      expect.arrayContaining(['customer.profile.create', 'customer.login.failed', 'customer.2fa.enable']),
    );
    const text = JSON.stringify(doc);
    for (const hidden of ['passwordHash', 'password_hash', '$2b$', 'secretCiphertext', 'codeHash', 'tokenHash', secret, `Pw-${marker}-secret`])
      expect(text).not.toContain(hidden);

    const [audited] = await server.db.query("SELECT actor_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.data.export'", [account.id]);
    expect(audited).toEqual({ actor_id: account.id });
    expect(errorCode(await server.gql(EXPORT, { id: account.id }, (await register(server)).token))).toBe('FORBIDDEN');
    expect((await server.gql(EXPORT, { id: account.id }, admin)).data!.exportCustomerData.customer.id).toBe(account.id);
  });

  it("an erased account is not exported to its owner's token (NOT_FOUND, their address not recorded again); an ADMIN sees what is kept", async () => {
    const account = await register(server);
    expect((await server.gql(DELETE, { id: account.id, p: account.password }, account.token)).data!.deleteCustomer.anonymized).toBe(true);
    // A platform token (no session) outlives the erasure of the sessions.
    const refused = await server.gql(EXPORT, { id: account.id }, tokens.customer(account.id), fromIp('198.51.100.99'));
    expect(errorCode(refused)).toBe('NOT_FOUND');
    const kept = (await server.gql(EXPORT, { id: account.id }, admin)).data!.exportCustomerData;
    expect(kept.customer).toMatchObject({ id: account.id, status: 'DELETED' });
    expect(JSON.stringify(kept)).not.toContain('198.51.100.99');
    // The trail's rows as the API answers them, without the internal sort key of their cursor.
    expect(kept.auditTrail.events.length).toBeGreaterThan(0);
    for (const event of kept.auditTrail.events) expect(event).not.toHaveProperty('sortKey');
  });

  it('pages a long audit trail instead of loading it all', async () => {
    const c = await createCustomer(server);
    await server.db.query(
      `INSERT INTO audit_events (id, event_type, customer_id, operation, created_at)
       SELECT gen_random_uuid(), 'customer.profile.update', $1, 'update', now() - make_interval(secs => i) FROM generate_series(1, 1500) AS i`,
      [c.id],
    );
    const first = (await server.gql(EXPORT, { id: c.id }, admin)).data!.exportCustomerData;
    expect(first.auditTrail.events).toHaveLength(1000);
    expect(first.auditTrail.nextCursor).toEqual(expect.any(String));
    const rest = (await server.gql(EXPORT, { id: c.id, after: first.auditTrail.nextCursor }, admin)).data!.exportCustomerData;
    expect(rest.auditTrail.nextCursor).toBeNull();
    // 1500 seeded + the creation (the first export's own row is newer than the first page).
    expect(first.auditTrail.events.length + rest.auditTrail.events.length).toBe(1501);
  });
});
