import pg from 'pg';
import { EmailsNfc1764600000000 } from '../migrations/1764600000000-EmailsNfc';
import { fromIp, lastEvent, login, ME, PASSWORD, register, REGISTER } from './helpers/accounts';
import { subscribe, wsClient } from './helpers/ws';
import { postGraphql, startReplica, startTestServer, TestServer, tokens, uniqueEmail, errorCode as code } from './helpers/server';

// Registration, login, sessions, email verification and password tokens, over HTTP against
// the real PostgreSQL. Lockout and per-IP limits are in lockout.test.ts, TOTP in two-factor.test.ts.

let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ CUSTOMER_LOG_LEVEL: 'trace' }, { log: (line) => logLines.push(line) });
});
afterAll(() => server.close());

const LOGOUT = 'mutation { logout }';
const CHANGE_PASSWORD = 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const REQUEST_RESET = 'mutation($e: String!) { requestPasswordReset(email: $e) }';
const RESET = 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }';
const VERIFY_EMAIL = 'mutation($t: String!) { verifyEmail(token: $t) { id emailVerified } }';
const REQUEST_VERIFICATION = 'mutation { requestEmailVerification }';

describe('register', () => {
  it('creates the customer, a session and a token of role CUSTOMER; the password is stored only as a bcrypt hash', async () => {
    const email = uniqueEmail('reg');
    const res = await server.gql(REGISTER, { input: { email: ` ${email.toUpperCase()} `, password: PASSWORD, firstName: 'Ada' } });
    expect(res.errors).toBeUndefined();
    const payload = res.data!.register;
    expect(payload).toMatchObject({ twoFactorRequired: false, customer: { email, emailVerified: false, twoFactorEnabled: false } });
    expect(new Date(payload.expiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const claims = JSON.parse(Buffer.from(payload.accessToken.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: payload.customer.id, role: 'CUSTOMER', sid: expect.any(String), exp: expect.any(Number) });

    const me = await server.gql(ME, {}, payload.accessToken);
    expect(me.data!.me).toMatchObject({ id: payload.customer.id, email });

    const [cred] = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM customer_credentials WHERE customer_id = $1', [
      payload.customer.id,
    ]);
    expect(cred.password_hash).toMatch(/^\$2b\$04\$/); // bcrypt at the configured cost
    expect(cred.password_hash).not.toContain(PASSWORD);
    const [session] = await server.db.query<{ id: string }>('SELECT id FROM customer_sessions WHERE customer_id = $1 AND revoked_at IS NULL', [
      payload.customer.id,
    ]);
    expect(session.id).toBe(claims.sid);
  });

  it('refuses passwords shorter than 8 characters or longer than 72 bytes, and taken emails', async () => {
    const short = await server.gql(REGISTER, { input: { email: uniqueEmail(), password: 'short' } });
    expect(code(short)).toBe('BAD_USER_INPUT');
    expect(short.errors![0].extensions!.fieldErrors![0].field).toBe('input.password');
    // 37 characters, 74 bytes: fine by character count, past what bcrypt reads.
    const long = await server.gql(REGISTER, { input: { email: uniqueEmail(), password: 'é'.repeat(37) } });
    expect(code(long)).toBe('BAD_USER_INPUT');
    expect(long.errors![0].message).toMatch(/72 bytes/);
    const exactly72 = await server.gql(REGISTER, { input: { email: uniqueEmail(), password: 'a'.repeat(72) } });
    expect(exactly72.errors).toBeUndefined();

    const taken = await register(server);
    const again = await server.gql(REGISTER, { input: { email: taken.email, password: PASSWORD } });
    expect(code(again)).toBe('EMAIL_TAKEN');
  });

  it('takes an email in any Unicode form as the same address (NFC), at registration and at login', async () => {
    const local = `caf\u00e9-${Math.random().toString(36).slice(2, 8)}`;
    const composed = `${local}@example.com`;
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const account = await register(server, { email: decomposed });
    expect(code(await server.gql(REGISTER, { input: { email: composed, password: PASSWORD } }))).toBe('EMAIL_TAKEN');
    const [{ email }] = await server.db.query<{ email: string }>('SELECT email FROM customers WHERE id = $1', [account.id]);
    expect(email).toBe(composed);
    expect((await login(server, composed.toUpperCase(), PASSWORD)).data?.login.accessToken).toEqual(expect.any(String));
    expect((await login(server, decomposed, PASSWORD)).data?.login.accessToken).toEqual(expect.any(String));
  });

  it('an email stored decomposed before is moved to NFC by its migration, unless an account already holds that form', async () => {
    const [a, b, c] = [await register(server), await register(server), await register(server)];
    const tag = Math.random().toString(36).slice(2, 8);
    const alone = `jos\u00e9-${tag}@example.com`;
    const twin = `ren\u00e9-${tag}@example.com`;
    await server.db.query('UPDATE customers SET email = $2 WHERE id = $1', [a.id, alone.normalize('NFD')]);
    await server.db.query('UPDATE customers SET email = $2 WHERE id = $1', [b.id, twin.normalize('NFD')]);
    await server.db.query('UPDATE customers SET email = $2 WHERE id = $1', [c.id, twin]);
    await new EmailsNfc1764600000000().up({ query: (sql: string) => server.db.query(sql) } as never);
    const emails = await server.db.query<{ id: string; email: string }>('SELECT id, email FROM customers WHERE id = ANY($1::uuid[]) ORDER BY email', [
      [a.id, b.id, c.id],
    ]);
    expect(Object.fromEntries(emails.map((r) => [r.id, r.email]))).toEqual({ [a.id]: alone, [b.id]: twin.normalize('NFD'), [c.id]: twin });
  });

  it('hands an email verification token to the notification service through the outbox', async () => {
    const account = await register(server);
    const event = await lastEvent(server, account.id, 'customer.verification_requested');
    expect(event).toMatchObject({
      specversion: '1.0',
      subject: account.id,
      data: { customerId: account.id, token: expect.any(String), expiresAt: expect.any(String) },
    });
    // Ids, not personal values: the notification service looks the address up.
    expect(JSON.stringify(event)).not.toContain(account.email);
  });
});

describe('login', () => {
  it('answers a session token and audits the success with IP and user agent', async () => {
    const account = await register(server);
    const res = await login(server, account.email.toUpperCase(), PASSWORD, undefined, { ...fromIp('203.0.113.7'), 'user-agent': 'jest-agent' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.login).toMatchObject({ twoFactorRequired: false, customer: { id: account.id } });
    const me = await server.gql(ME, {}, res.data!.login.accessToken);
    expect(me.data!.me.id).toBe(account.id);
    const [audit] = await server.db.query<{ ip_address: string; user_agent: string; session_id: string; actor_id: string }>(
      "SELECT host(ip_address) AS ip_address, user_agent, session_id, actor_id FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.login.success'",
      [account.id],
    );
    expect(audit).toMatchObject({ ip_address: '203.0.113.7', user_agent: 'jest-agent', actor_id: account.id });
    expect(audit.session_id).toEqual(expect.any(String));
  });

  it.each([
    ['a new password', `UPDATE customer_credentials SET password_hash = '$2b$04$abcdefghijklmnopqrstuuZqJ7sZ6m7ZVxkz3vh3qE9T3hGn1Xv2' WHERE customer_id = $1`],
    ['a new email', `UPDATE customers SET email = 'moved-' || email WHERE id = $1`],
  ])('opens no session when %s was committed between its password check and its session (which ended every other)', async (_what, change) => {
    const account = await register(server);
    // Another session holds the customer's row lock, as changePassword, resetPassword or an
    // email change do while they commit: the login compares the old password, then waits.
    const other = new pg.Client({ connectionString: server.dsn });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [account.id]);
      const pending = login(server, account.email, PASSWORD);
      const waiting = async () =>
        (await other.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n > 0;
      for (const end = Date.now() + 10_000; !(await waiting()) && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
      await other.query(change, [account.id]);
      await other.query('COMMIT');
      const res = await pending;
      expect(code(res)).toBe('INVALID_CREDENTIALS');
      const sessions = await server.db.query(
        "SELECT id FROM customer_sessions WHERE customer_id = $1 AND created_at > now() - interval '1 minute' AND revoked_at IS NULL",
        [account.id],
      );
      // Only register's own session, which the change would have ended too.
      expect(sessions).toHaveLength(1);
    } finally {
      await other.end();
    }
  });

  it('lets the rest of the operation run as the signed-in customer', async () => {
    const account = await register(server);
    const res = await server.gql(
      `mutation($input: LoginInput!) { login(input: $input) { customer { id preferences { emailMarketing } auditTrail(first: 5) { edges { node { eventType } } } } } }`,
      { input: { email: account.email, password: PASSWORD } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.login.customer.preferences.emailMarketing).toBe(false);
  });

  it('answers one generic INVALID_CREDENTIALS for an unknown email and for a wrong password, and audits both', async () => {
    const account = await register(server);
    const unknown = await login(server, uniqueEmail('nobody'), PASSWORD);
    const wrong = await login(server, account.email, 'wrong password');
    const malformed = await login(server, 'not an email', PASSWORD);
    for (const res of [unknown, wrong, malformed]) {
      expect(res.data).toBeNull();
      expect(res.errors![0]).toMatchObject({ message: 'The email or password is not correct', extensions: { code: 'INVALID_CREDENTIALS' } });
    }
    const failed = await server.db.query<{ severity: string; metadata: { reason: string } }>(
      "SELECT severity, metadata FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.login.failed'",
      [account.id],
    );
    expect(failed).toEqual([{ severity: 'WARN', metadata: { reason: 'wrong_password' } }]);
    const [anonymous] = await server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE customer_id IS NULL AND event_type = 'customer.login.failed' AND metadata->>'reason' = 'unknown_email'",
    );
    expect(anonymous.n).toBeGreaterThanOrEqual(2);
  });

  it('refuses a customer created by the back office without a password, like an unknown email', async () => {
    const email = uniqueEmail('imported');
    await server.gql('mutation($e: String!) { createCustomer(input: { email: $e }) { id } }', { e: email }, tokens.admin());
    expect(code(await login(server, email, PASSWORD))).toBe('INVALID_CREDENTIALS');
  });

  it('refuses suspended customers after the password check, and ends their sessions', async () => {
    const account = await register(server);
    await server.gql('mutation($id: ID!) { setCustomerStatus(id: $id, status: SUSPENDED) { status } }', { id: account.id }, tokens.admin());
    expect(code(await server.gql(ME, {}, account.token))).toBe('UNAUTHENTICATED');
    expect(code(await login(server, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(code(await login(server, account.email, PASSWORD))).toBe('FORBIDDEN');
  });

  it('suspension revokes every session: lifting it does not bring the old tokens back', async () => {
    const account = await register(server);
    const other = (await login(server, account.email, PASSWORD)).data!.login.accessToken;
    const setStatus = (s: string) =>
      server.gql('mutation($id: ID!, $s: CustomerStatus!) { setCustomerStatus(id: $id, status: $s) { status } }', { id: account.id, s }, tokens.admin());
    await setStatus('SUSPENDED');
    await setStatus('ACTIVE');
    expect(code(await server.gql(ME, {}, account.token))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(ME, {}, other))).toBe('UNAUTHENTICATED');
    const [live] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_sessions WHERE customer_id = $1 AND revoked_at IS NULL', [
      account.id,
    ]);
    expect(live.n).toBe(0);
    const audit = await server.db.query<{ metadata: Record<string, unknown> }>(
      "SELECT metadata FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.status.change' ORDER BY created_at, id",
      [account.id],
    );
    expect(audit.map((a) => a.metadata)).toEqual([{ sessionsRevoked: 2 }, {}]);
    // Signing in again works once the suspension is lifted.
    expect((await login(server, account.email, PASSWORD)).data!.login.customer.id).toBe(account.id);
  });
});

describe('sessions', () => {
  it('logout revokes the token at once, on this replica and on another', async () => {
    const replica = await startReplica(server);
    try {
      const account = await register(server);
      expect((await postGraphql(replica.url, ME, {}, account.token)).data!.me.id).toBe(account.id);
      const out = await server.gql(LOGOUT, {}, account.token);
      expect(out.data).toEqual({ logout: true });
      for (const url of [server.url, replica.url]) {
        const res = await postGraphql(url, ME, {}, account.token);
        expect(res.status).toBe(401);
        expect(code(res)).toBe('UNAUTHENTICATED');
      }
      const [audit] = await server.db.query("SELECT 1 FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.logout'", [account.id]);
      expect(audit).toBeDefined();
    } finally {
      await replica.close();
    }
  });

  it('a subscription opened with a session gets nothing more once the session ends', async () => {
    const account = await register(server);
    await server.app.relay.idle();
    const client = wsClient(server.url, account.token);
    const sub = await subscribe(client, 'subscription { customerChanged { type customerId } }');
    try {
      await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { firstName: "Before" }) { id } }', { id: account.id }, tokens.admin());
      expect((await sub.waitFor(1))[0].customerChanged.type).toBe('CUSTOMER_UPDATED');
      await server.gql(LOGOUT, {}, account.token);
      await server.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { firstName: "After" }) { id } }', { id: account.id }, tokens.admin());
      for (let i = 0; i < 100 && !sub.errors.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.stringify(sub.errors)).toContain('UNAUTHENTICATED');
      expect(sub.events).toHaveLength(1);
    } finally {
      sub.close();
      await client.dispose();
    }
  });

  it('logout ends only the session of the token used', async () => {
    const account = await register(server);
    const second = (await login(server, account.email, PASSWORD)).data!.login.accessToken;
    await server.gql(LOGOUT, {}, account.token);
    expect((await server.gql(ME, {}, second)).data!.me.id).toBe(account.id);
  });

  it('logout answers false for a token without a session and UNAUTHENTICATED for anonymous callers', async () => {
    const account = await register(server);
    expect((await server.gql(LOGOUT, {}, tokens.customer(account.id))).data).toEqual({ logout: false });
    expect(code(await server.gql(LOGOUT))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token naming a session that does not exist, even with a valid signature', async () => {
    const account = await register(server);
    const jwt = await import('jsonwebtoken');
    const forged = jwt.default.sign({ sub: account.id, role: 'CUSTOMER', sid: '00000000-0000-4000-8000-000000000000' }, server.config.jwtSecret, {
      expiresIn: '1h',
    });
    expect(code(await server.gql(ME, {}, forged))).toBe('UNAUTHENTICATED');
    // A session of another customer does not fit either.
    const other = await register(server);
    const sid = JSON.parse(Buffer.from(other.token.split('.')[1], 'base64url').toString()).sid;
    const swapped = jwt.default.sign({ sub: account.id, role: 'CUSTOMER', sid }, server.config.jwtSecret, { expiresIn: '1h' });
    expect(code(await server.gql(ME, {}, swapped))).toBe('UNAUTHENTICATED');
  });
});

describe('email verification', () => {
  it('verifies with the token once; the token is single use and a new request voids the old one', async () => {
    const account = await register(server);
    const first = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token;
    expect((await server.gql(REQUEST_VERIFICATION, {}, account.token)).data).toEqual({ requestEmailVerification: true });
    const second = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token;
    expect(second).not.toBe(first);

    expect(code(await server.gql(VERIFY_EMAIL, { t: first }))).toBe('BAD_USER_INPUT');
    const ok = await server.gql(VERIFY_EMAIL, { t: second });
    expect(ok.data!.verifyEmail).toEqual({ id: account.id, emailVerified: true });
    expect(code(await server.gql(VERIFY_EMAIL, { t: second }))).toBe('BAD_USER_INPUT');
    expect((await server.gql(REQUEST_VERIFICATION, {}, account.token)).data).toEqual({ requestEmailVerification: false });
    expect(await lastEvent(server, account.id, 'customer.email_verified')).not.toBeNull();
  });

  it("refuses an anonymous verifyEmail that selects more than the customer's own fields before using the token (it committed, then answered data: null)", async () => {
    const account = await register(server);
    const token = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token as string;
    const more = await server.gql('mutation($t: String!) { verifyEmail(token: $t) { id addresses { city } statistics { totalOrders } } }', { t: token });
    expect(code(more)).toBe('UNAUTHENTICATED');
    expect(more.errors![0].message).toMatch(/addresses, statistics/);
    expect((await server.gql(ME, {}, account.token)).data!.me.emailVerified).toBe(false);
    // The token still works, for the customer's own fields.
    const ok = await server.gql('mutation($t: String!) { verifyEmail(token: $t) { id emailVerified displayName } }', { t: token });
    expect(ok.data!.verifyEmail).toMatchObject({ id: account.id, emailVerified: true });
  });

  it('keeps only a hash of the token, expires it after 24 hours, and refuses an expired one', async () => {
    const account = await register(server);
    const token = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token as string;
    const [row] = await server.db.query<{ hours: number; hash: string }>(
      `SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours, encode(token_hash, 'hex') AS hash
         FROM customer_tokens WHERE customer_id = $1 AND purpose = 'EMAIL_VERIFICATION'`,
      [account.id],
    );
    expect(Number(row.hours)).toBeCloseTo(24, 3);
    expect(row.hash).not.toContain(Buffer.from(token).toString('hex'));
    await server.db.query("UPDATE customer_tokens SET expires_at = now() - interval '1 second' WHERE customer_id = $1", [account.id]);
    expect(code(await server.gql(VERIFY_EMAIL, { t: token }))).toBe('BAD_USER_INPUT');
  });

  it('voids the token when the email changes, and the new email starts unverified', async () => {
    const account = await register(server);
    const token = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token;
    const upd = await server.gql(
      'mutation($id: ID!, $e: String!, $p: String) { updateCustomer(id: $id, input: { email: $e, currentPassword: $p }) { emailVerified } }',
      {
        id: account.id,
        e: uniqueEmail('changed'),
        p: account.password,
      },
      account.token,
    );
    expect(upd.data!.updateCustomer.emailVerified).toBe(false);
    expect(code(await server.gql(VERIFY_EMAIL, { t: token }))).toBe('BAD_USER_INPUT');
  });

  it('requestEmailVerification needs a signed-in customer', async () => {
    expect(code(await server.gql(REQUEST_VERIFICATION))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(REQUEST_VERIFICATION, {}, tokens.admin()))).toBe('FORBIDDEN');
  });
});

describe('password reset and change', () => {
  it('always answers true, and issues a one-hour token only for a known email', async () => {
    const account = await register(server);
    const before = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE type = 'customer.password_reset_requested'");
    expect((await server.gql(REQUEST_RESET, { e: uniqueEmail('ghost') })).data).toEqual({ requestPasswordReset: true });
    expect((await server.gql(REQUEST_RESET, { e: account.email.toUpperCase() })).data).toEqual({ requestPasswordReset: true });
    const event = await lastEvent(server, account.id, 'customer.password_reset_requested');
    expect(event!.data).toEqual({ customerId: account.id, token: expect.any(String), expiresAt: expect.any(String) });
    // The ghost's request (handled first) issued nothing: one event in all.
    const after = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE type = 'customer.password_reset_requested'");
    expect(after[0].n).toBe(before[0].n + 1);
    const [row] = await server.db.query<{ hours: number }>(
      "SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM customer_tokens WHERE customer_id = $1 AND purpose = 'PASSWORD_RESET'",
      [account.id],
    );
    expect(Number(row.hours)).toBeCloseTo(1, 3);
  });

  it('resets the password with the newest token, once, and ends every session', async () => {
    const account = await register(server);
    await server.gql(REQUEST_RESET, { e: account.email });
    const old = (await lastEvent(server, account.id, 'customer.password_reset_requested'))!.data.token;
    await server.gql(REQUEST_RESET, { e: account.email });
    const token = (await lastEvent(server, account.id, 'customer.password_reset_requested', old))!.data.token;

    expect(code(await server.gql(RESET, { t: old, p: 'a brand new secret' }))).toBe('BAD_USER_INPUT');
    expect(code(await server.gql(RESET, { t: token, p: 'short' }))).toBe('BAD_USER_INPUT');
    expect((await server.gql(RESET, { t: token, p: 'a brand new secret' })).data).toEqual({ resetPassword: true });
    expect(code(await server.gql(RESET, { t: token, p: 'another new secret' }))).toBe('BAD_USER_INPUT');

    expect(code(await server.gql(ME, {}, account.token))).toBe('UNAUTHENTICATED');
    expect(code(await login(server, account.email, PASSWORD))).toBe('INVALID_CREDENTIALS');
    expect((await login(server, account.email, 'a brand new secret')).data!.login.accessToken).toEqual(expect.any(String));
  });

  it('a reset token sent to an address the customer no longer has is refused', async () => {
    const account = await register(server);
    await server.gql(REQUEST_RESET, { e: account.email });
    const token = (await lastEvent(server, account.id, 'customer.password_reset_requested'))!.data.token;
    const moved = await server.gql(
      'mutation($id: ID!, $e: String!, $p: String) { updateCustomer(id: $id, input: { email: $e, currentPassword: $p }) { id } }',
      {
        id: account.id,
        e: uniqueEmail('moved'),
        p: account.password,
      },
      account.token,
    );
    expect(moved.errors).toBeUndefined();
    expect(code(await server.gql(RESET, { t: token, p: 'a brand new secret' }))).toBe('BAD_USER_INPUT');
  });

  it('voids the links sent to an old address for good: they do not work again once the email is changed back', async () => {
    const account = await register(server);
    await server.gql(REQUEST_RESET, { e: account.email });
    const reset = (await lastEvent(server, account.id, 'customer.password_reset_requested'))!.data.token;
    const verify = (await lastEvent(server, account.id, 'customer.verification_requested'))!.data.token;
    const CHANGE = 'mutation($id: ID!, $e: String!) { updateCustomer(id: $id, input: { email: $e }) { id } }';
    expect((await server.gql(CHANGE, { id: account.id, e: uniqueEmail('away') }, tokens.admin())).errors).toBeUndefined();
    expect((await server.gql(CHANGE, { id: account.id, e: account.email }, tokens.admin())).errors).toBeUndefined();
    expect(code(await server.gql(RESET, { t: reset, p: 'a brand new secret' }))).toBe('BAD_USER_INPUT');
    expect(code(await server.gql(VERIFY_EMAIL, { t: verify }))).toBe('BAD_USER_INPUT');
    const [{ n }] = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_tokens WHERE customer_id = $1', [account.id]);
    expect(n).toBe(0);
  });

  it('a customer changing their own email confirms with their current password; ADMIN need not', async () => {
    const account = await register(server);
    const CHANGE = 'mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { email firstName } }';
    const target = uniqueEmail('new');
    const missing = await server.gql(CHANGE, { id: account.id, input: { email: target } }, account.token);
    expect(code(missing)).toBe('BAD_USER_INPUT');
    expect(missing.errors![0].extensions!.fieldErrors![0].field).toBe('input.currentPassword');
    expect(code(await server.gql(CHANGE, { id: account.id, input: { email: target, currentPassword: 'not it at all' } }, account.token))).toBe(
      'INVALID_CREDENTIALS',
    );
    // Other fields, and the same address sent back (a whole profile form), need nothing.
    const same = await server.gql(CHANGE, { id: account.id, input: { email: account.email.toUpperCase(), firstName: 'Form' } }, account.token);
    expect(same.data!.updateCustomer).toEqual({ email: account.email, firstName: 'Form' });
    const done = await server.gql(CHANGE, { id: account.id, input: { email: target, currentPassword: account.password } }, account.token);
    expect(done.data!.updateCustomer.email).toBe(target);
    const byAdmin = await server.gql(CHANGE, { id: account.id, input: { email: uniqueEmail('admin') } }, tokens.admin());
    expect(byAdmin.errors).toBeUndefined();
    // A customer with no password and no second factor has nothing to confirm with: not themselves.
    const backOffice = await server.gql('mutation($e: String!) { createCustomer(input: { email: $e }) { id } }', { e: uniqueEmail('bo') }, tokens.admin());
    const boId = backOffice.data!.createCustomer.id;
    expect(code(await server.gql(CHANGE, { id: boId, input: { email: uniqueEmail('taken.over') } }, tokens.customer(boId)))).toBe('FORBIDDEN');
    expect(code(await server.gql(CHANGE, { id: boId, input: { firstName: 'Still fine' } }, tokens.customer(boId)))).toBeUndefined();
    // The confirmation is never stored: not in the audit row, not in the event.
    const rows = await server.db.query<{ t: string }>(
      'SELECT old_values::text || new_values::text || metadata::text AS t FROM audit_events WHERE customer_id = $1 UNION ALL SELECT payload::text FROM outbox_events WHERE customer_id = $1',
      [account.id],
    );
    expect(rows.map((r) => r.t).join()).not.toContain(account.password);
  });

  it('lets a back-office customer without a password set one through a reset', async () => {
    const email = uniqueEmail('imported');
    const created = await server.gql('mutation($e: String!) { createCustomer(input: { email: $e }) { id } }', { e: email }, tokens.admin());
    await server.gql(REQUEST_RESET, { e: email });
    const token = (await lastEvent(server, created.data!.createCustomer.id, 'customer.password_reset_requested'))!.data.token;
    await server.gql(RESET, { t: token, p: PASSWORD });
    expect((await login(server, email, PASSWORD)).data!.login.customer.id).toBe(created.data!.createCustomer.id);
  });

  it('changePassword checks the current password and ends the other sessions, not this one', async () => {
    const account = await register(server);
    const other = (await login(server, account.email, PASSWORD)).data!.login.accessToken;
    expect(code(await server.gql(CHANGE_PASSWORD, { c: 'wrong password', n: 'the next secret' }, account.token))).toBe('INVALID_CREDENTIALS');
    expect(code(await server.gql(CHANGE_PASSWORD, { c: PASSWORD, n: 'x'.repeat(73) }, account.token))).toBe('BAD_USER_INPUT');
    expect((await server.gql(CHANGE_PASSWORD, { c: PASSWORD, n: 'the next secret' }, account.token)).data).toEqual({ changePassword: true });
    expect((await server.gql(ME, {}, account.token)).data!.me.id).toBe(account.id);
    expect(code(await server.gql(ME, {}, other))).toBe('UNAUTHENTICATED');
    expect((await login(server, account.email, 'the next secret')).data!.login.accessToken).toEqual(expect.any(String));
    expect(code(await server.gql(CHANGE_PASSWORD, { c: PASSWORD, n: 'whatever123' }))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(CHANGE_PASSWORD, { c: PASSWORD, n: 'whatever123' }, tokens.admin()))).toBe('FORBIDDEN');
  });
});

describe('secrets never leave', () => {
  it('no password, hash or token appears in audit rows or log lines', async () => {
    const account = await register(server, { password: 'Unique-Pa55word-xyz' });
    await login(server, account.email, 'Unique-Wrong-Guess-abc');
    await login(server, account.email, 'Unique-Pa55word-xyz');
    await server.gql(REQUEST_RESET, { e: account.email });
    const token = (await lastEvent(server, account.id, 'customer.password_reset_requested'))!.data.token as string;
    await server.gql(RESET, { t: token, p: 'Unique-Next-Pa55-def' });
    await server.gql(CHANGE_PASSWORD, { c: 'Unique-Next-Pa55-def', n: 'Unique-Last-Pa55-ghi' }, account.token);
    const [cred] = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM customer_credentials WHERE customer_id = $1', [account.id]);
    const secrets = ['Unique-Pa55word-xyz', 'Unique-Wrong-Guess-abc', 'Unique-Next-Pa55-def', 'Unique-Last-Pa55-ghi', token, cred.password_hash, '$2b$'];

    const audit = JSON.stringify(await server.db.query('SELECT * FROM audit_events'));
    const logs = logLines.join('\n');
    for (const secret of secrets) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
