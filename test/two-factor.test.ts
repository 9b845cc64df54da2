import { awayFromStepEdge, enrol, lastEvent, login, ME, PASSWORD, register, totpAt } from './helpers/accounts';
import { startTestServer, TestServer, tokens, errorCode as code } from './helpers/server';

// TOTP two-factor over HTTP. Codes come from totpAt (RFC 6238 written in the test helper),
// never from the service's own otplib wrapper.

let server: TestServer;
const logLines: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ CUSTOMER_LOG_LEVEL: 'trace', CUSTOMER_2FA_ISSUER: 'Acme Shop' }, { log: (l) => logLines.push(l) });
});
afterAll(() => server.close());

const ENABLE = 'mutation($id: ID!, $pw: String) { enableTwoFactor(customerId: $id, currentPassword: $pw) { secret otpauthUri } }';
const CONFIRM = 'mutation($id: ID!, $code: String!) { confirmTwoFactor(customerId: $id, code: $code) { codes } }';
const VERIFY = 'mutation($id: ID!, $code: String!) { verifyTwoFactor(customerId: $id, code: $code) }';
const DISABLE = 'mutation($id: ID!, $code: String!) { disableTwoFactor(customerId: $id, code: $code) }';

const enrolled = () => enrol(server);

describe('enrolment', () => {
  it('enableTwoFactor makes a 160-bit secret and an otpauth URI but leaves two-factor off', async () => {
    const account = await register(server);
    const res = await server.gql(ENABLE, { id: account.id, pw: account.password }, account.token);
    expect(res.errors).toBeUndefined();
    const { secret, otpauthUri } = res.data!.enableTwoFactor;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 characters = 160 bits
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Acme Shop');
    expect(decodeURIComponent(uri.pathname)).toContain(account.email);
    expect((await server.gql(ME, {}, account.token)).data!.me.twoFactorEnabled).toBe(false);
    // Not on yet: a login needs no code.
    expect((await login(server, account.email, PASSWORD)).data!.login.twoFactorRequired).toBe(false);
  });

  it('keeps the secret encrypted at rest', async () => {
    const account = await register(server);
    const { secret } = (await server.gql(ENABLE, { id: account.id, pw: account.password }, account.token)).data!.enableTwoFactor;
    const [row] = await server.db.query<{ hex: string; text: string }>(
      "SELECT encode(secret_ciphertext, 'hex') AS hex, encode(secret_ciphertext, 'escape') AS text FROM customer_two_factor WHERE customer_id = $1",
      [account.id],
    );
    expect(row.text).not.toContain(secret);
    expect(row.hex).not.toContain(Buffer.from(secret).toString('hex'));
    expect(row.hex.length).toBeGreaterThanOrEqual(2 * (12 + 16 + 32)); // iv + tag + data
  });

  it('confirmTwoFactor refuses a wrong code, then turns two-factor on with a valid one and answers ten recovery codes', async () => {
    const account = await register(server);
    const step = await awayFromStepEdge();
    const { secret } = (await server.gql(ENABLE, { id: account.id, pw: account.password }, account.token)).data!.enableTwoFactor;
    expect(code(await server.gql(CONFIRM, { id: account.id, code: totpAt(secret, step - 5) }, account.token))).toBe('INVALID_TWO_FACTOR_CODE');
    expect((await server.gql(ME, {}, account.token)).data!.me.twoFactorEnabled).toBe(false);

    const res = await server.gql(CONFIRM, { id: account.id, code: totpAt(secret, step) }, account.token);
    expect(res.errors).toBeUndefined();
    const codes: string[] = res.data!.confirmTwoFactor.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect((await server.gql(ME, {}, account.token)).data!.me.twoFactorEnabled).toBe(true);
    expect(await lastEvent(server, account.id, 'customer.two_factor.enabled')).not.toBeNull();
    const stored = await server.db.query<{ hex: string }>("SELECT encode(code_hash, 'hex') AS hex FROM customer_recovery_codes WHERE customer_id = $1", [
      account.id,
    ]);
    expect(stored).toHaveLength(10);
    for (const c of codes) expect(JSON.stringify(stored)).not.toContain(Buffer.from(c).toString('hex'));
    // Once on, enrolment cannot restart (that would swap the secret without a code).
    expect(code(await server.gql(ENABLE, { id: account.id, pw: account.password }, account.token))).toBe('BAD_USER_INPUT');
  });
});

describe('codes', () => {
  it('login without a code answers twoFactorRequired and no token; with a valid code a token', async () => {
    const account = await enrolled();
    const first = await login(server, account.email, PASSWORD);
    expect(first.errors).toBeUndefined();
    expect(first.data!.login).toEqual({ accessToken: null, expiresAt: null, twoFactorRequired: true, customer: null });
    const second = await login(server, account.email, PASSWORD, totpAt(account.secret, account.step));
    expect(second.data!.login).toMatchObject({ twoFactorRequired: false, accessToken: expect.any(String) });
    // A wrong password with a valid code is still a wrong password.
    expect(code(await login(server, account.email, 'wrong password', totpAt(account.secret, account.step + 1)))).toBe('INVALID_CREDENTIALS');
  });

  it('a code accepted once is refused afterwards (replay), and so is any earlier step', async () => {
    const account = await enrolled();
    const now = totpAt(account.secret, account.step);
    expect((await server.gql(VERIFY, { id: account.id, code: now }, account.token)).data).toEqual({ verifyTwoFactor: true });
    expect((await server.gql(VERIFY, { id: account.id, code: now }, account.token)).data).toEqual({ verifyTwoFactor: false });
    expect(code(await login(server, account.email, PASSWORD, now))).toBe('INVALID_TWO_FACTOR_CODE');
    // The confirmation code (previous step) was spent too.
    expect((await server.gql(VERIFY, { id: account.id, code: totpAt(account.secret, account.step - 1) }, account.token)).data).toEqual({
      verifyTwoFactor: false,
    });
  });

  it('accepts one step either side and refuses codes from further windows', async () => {
    const account = await register(server);
    const step = await awayFromStepEdge();
    const { secret } = (await server.gql(ENABLE, { id: account.id, pw: account.password }, account.token)).data!.enableTwoFactor;
    await server.gql(CONFIRM, { id: account.id, code: totpAt(secret, step - 1) }, account.token);
    expect((await server.gql(VERIFY, { id: account.id, code: totpAt(secret, step + 2) }, account.token)).data).toEqual({ verifyTwoFactor: false });
    expect((await server.gql(VERIFY, { id: account.id, code: totpAt(secret, step + 1) }, account.token)).data).toEqual({ verifyTwoFactor: true });

    const other = await register(server);
    const { secret: s2 } = (await server.gql(ENABLE, { id: other.id, pw: other.password }, other.token)).data!.enableTwoFactor;
    expect(code(await server.gql(CONFIRM, { id: other.id, code: totpAt(s2, step - 2) }, other.token))).toBe('INVALID_TWO_FACTOR_CODE');
    expect(code(await server.gql(CONFIRM, { id: other.id, code: 'abcdef' }, other.token))).toBe('INVALID_TWO_FACTOR_CODE');
  });

  it('recovery codes work once each, in any case and with or without the dash', async () => {
    const account = await enrolled();
    const [a, b] = account.recovery;
    expect((await login(server, account.email, PASSWORD, a)).data!.login.accessToken).toEqual(expect.any(String));
    expect(code(await login(server, account.email, PASSWORD, a))).toBe('INVALID_TWO_FACTOR_CODE');
    expect((await server.gql(VERIFY, { id: account.id, code: b.replace('-', '').toUpperCase() }, account.token)).data).toEqual({ verifyTwoFactor: true });
    expect((await server.gql(VERIFY, { id: account.id, code: b }, account.token)).data).toEqual({ verifyTwoFactor: false });
    const [audit] = await server.db.query<{ metadata: { remainingRecoveryCodes: number } }>(
      "SELECT metadata FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.2fa.recovery_code_used' ORDER BY created_at DESC LIMIT 1",
      [account.id],
    );
    expect(audit.metadata.remainingRecoveryCodes).toBe(8);
  });

  it('after 5 wrong codes verification is locked, even for a valid code', async () => {
    const account = await enrolled();
    for (let i = 0; i < 5; i++) {
      expect((await server.gql(VERIFY, { id: account.id, code: String(100000 + i) }, account.token)).data).toEqual({ verifyTwoFactor: false });
    }
    const locked = await server.gql(VERIFY, { id: account.id, code: totpAt(account.secret, account.step) }, account.token);
    expect(code(locked)).toBe('RATE_LIMITED');
    expect(code(await login(server, account.email, PASSWORD, totpAt(account.secret, account.step)))).toBe('RATE_LIMITED');
    expect(code(await login(server, account.email, PASSWORD, account.recovery[0]))).toBe('RATE_LIMITED');
    const [row] = await server.db.query("SELECT 1 FROM audit_events WHERE customer_id = $1 AND event_type = 'customer.2fa.locked'", [account.id]);
    expect(row).toBeDefined();
  });

  it('wrong codes at login count towards the same lock', async () => {
    const account = await enrolled();
    for (let i = 0; i < 5; i++) expect(code(await login(server, account.email, PASSWORD, String(200000 + i)))).toBe('INVALID_TWO_FACTOR_CODE');
    expect(code(await login(server, account.email, PASSWORD, totpAt(account.secret, account.step)))).toBe('RATE_LIMITED');
  });
});

describe('disable and authorization', () => {
  it('disableTwoFactor needs a valid code', async () => {
    const account = await enrolled();
    expect(code(await server.gql(DISABLE, { id: account.id, code: '000000' }, account.token))).toBe('INVALID_TWO_FACTOR_CODE');
    expect((await server.gql(DISABLE, { id: account.id, code: totpAt(account.secret, account.step) }, account.token)).data).toEqual({
      disableTwoFactor: true,
    });
    expect((await server.gql(ME, {}, account.token)).data!.me.twoFactorEnabled).toBe(false);
    expect((await login(server, account.email, PASSWORD)).data!.login.twoFactorRequired).toBe(false);
    const [left] = await server.db.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM customer_two_factor WHERE customer_id = $1) + (SELECT count(*) FROM customer_recovery_codes WHERE customer_id = $1) AS n',
      [account.id],
    );
    expect(Number(left.n)).toBe(0);
  });

  it("refuses another customer's and an admin's two-factor mutations", async () => {
    const victim = await enrolled();
    const intruder = await register(server);
    const valid = totpAt(victim.secret, victim.step);
    for (const token of [intruder.token, tokens.admin(), tokens.customer(intruder.id)]) {
      expect(code(await server.gql(ENABLE, { id: victim.id, pw: 'whatever-password' }, token))).toBe('FORBIDDEN');
      expect(code(await server.gql(CONFIRM, { id: victim.id, code: valid }, token))).toBe('FORBIDDEN');
      expect(code(await server.gql(VERIFY, { id: victim.id, code: valid }, token))).toBe('FORBIDDEN');
      expect(code(await server.gql(DISABLE, { id: victim.id, code: valid }, token))).toBe('FORBIDDEN');
    }
    expect(code(await server.gql(VERIFY, { id: victim.id, code: valid }))).toBe('UNAUTHENTICATED');
    // The victim's code is still unused.
    expect((await server.gql(VERIFY, { id: victim.id, code: valid }, victim.token)).data).toEqual({ verifyTwoFactor: true });
  });

  it('no secret, code or recovery code appears in audit rows or log lines', async () => {
    const account = await enrolled();
    await login(server, account.email, PASSWORD, account.recovery[3]);
    const audit = JSON.stringify(await server.db.query('SELECT * FROM audit_events WHERE customer_id = $1', [account.id]));
    const logs = logLines.join('\n');
    expect(audit).toContain('customer.2fa.enable');
    for (const secret of [account.secret, ...account.recovery]) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});

describe('a stolen session cannot take the account over', () => {
  const UPDATE_EMAIL =
    'mutation($id: ID!, $e: String!, $p: String, $c: String) { updateCustomer(id: $id, input: { email: $e, currentPassword: $p, twoFactorCode: $c }) { email } }';
  const ERASE = 'mutation($id: ID!, $p: String, $c: String) { deleteCustomer(id: $id, password: $p, twoFactorCode: $c) { anonymized } }';

  it('enrolling a second factor asks for the password: the token alone cannot start the takeover', async () => {
    const victim = await register(server);
    // The chain the review found: enable -> confirm -> change the email with a code -> reset.
    const noPassword = await server.gql('mutation($id: ID!) { enableTwoFactor(customerId: $id) { secret } }', { id: victim.id }, victim.token);
    expect(code(noPassword)).toBe('BAD_USER_INPUT');
    expect(noPassword.errors![0].extensions!.fieldErrors).toEqual([{ field: 'currentPassword', message: 'enter your password to confirm' }]);
    expect(code(await server.gql(ENABLE, { id: victim.id, pw: 'a guessed password' }, victim.token))).toBe('INVALID_CREDENTIALS');
    expect((await server.gql(ME, {}, victim.token)).data!.me.twoFactorEnabled).toBe(false);
    // Wrong guesses there count towards the lockout like logins.
    for (let i = 0; i < 4; i++) await server.gql(ENABLE, { id: victim.id, pw: `guess number ${i}` }, victim.token);
    expect(code(await server.gql(ENABLE, { id: victim.id, pw: victim.password }, victim.token))).toBe('ACCOUNT_LOCKED');
  });

  it('a customer without a password (back office, platform token) sets one first', async () => {
    const created = await server.gql(
      'mutation($e: String!) { createCustomer(input: { email: $e }) { id } }',
      { e: `${Date.now()}.nopass@example.com` },
      tokens.admin(),
    );
    const id = created.data!.createCustomer.id;
    const res = await server.gql(ENABLE, { id, pw: null }, tokens.customer(id));
    expect(code(res)).toBe('FORBIDDEN');
    expect(res.errors![0].message).toMatch(/requestPasswordReset/);
  });

  it('a factor enrolled after the token was issued does not stand in for the password; one enrolled before does', async () => {
    const account = await register(server);
    // Enrolled at once, within the same second as the token's iat: still after its session opened.
    const enrolledNow = await enrol(server, account);
    const step = await awayFromStepEdge();
    const sameSession = await server.gql(
      UPDATE_EMAIL,
      { id: account.id, e: `${Date.now()}.moved@example.com`, c: totpAt(enrolledNow.secret, step) },
      account.token,
    );
    expect(code(sameSession)).toBe('BAD_USER_INPUT');
    expect(sameSession.errors![0].message).toMatch(/enrolled since you signed in/);
    expect(code(await server.gql(ERASE, { id: account.id, c: totpAt(enrolledNow.secret, step) }, account.token))).toBe('BAD_USER_INPUT');
    // A later sign-in (password and code): now the factor predates the session.
    const later = await login(server, account.email, PASSWORD, totpAt(enrolledNow.secret, step));
    const fresh = later.data!.login.accessToken as string;
    // The step after the login's (a step once used is never accepted again; one ahead is within the window).
    const moved = await server.gql(UPDATE_EMAIL, { id: account.id, e: `${Date.now()}.moved@example.com`, c: totpAt(enrolledNow.secret, step + 1) }, fresh);
    expect(moved.errors).toBeUndefined();
  });

  it('changing the email ends every other session of the customer; the one that changed it stays', async () => {
    const account = await register(server);
    const other = (await login(server, account.email, PASSWORD)).data!.login.accessToken as string;
    const moved = await server.gql(UPDATE_EMAIL, { id: account.id, e: `${Date.now()}.new@example.com`, p: PASSWORD }, account.token);
    expect(moved.errors).toBeUndefined();
    expect((await server.gql(ME, {}, account.token)).data!.me.id).toBe(account.id);
    expect(code(await server.gql(ME, {}, other))).toBe('UNAUTHENTICATED');
    // Staff changing it end them all.
    const again = (await login(server, moved.data!.updateCustomer.email, PASSWORD)).data!.login.accessToken as string;
    await server.gql(UPDATE_EMAIL, { id: account.id, e: `${Date.now()}.staff@example.com` }, tokens.admin());
    expect(code(await server.gql(ME, {}, again))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(ME, {}, account.token))).toBe('UNAUTHENTICATED');
  });
});

describe('CUSTOMER_ENABLE_2FA=false', () => {
  it('turns the feature off with a clear error', async () => {
    const off = await startTestServer({ CUSTOMER_ENABLE_2FA: 'false' });
    try {
      const account = await register(off);
      const res = await off.gql(ENABLE, { id: account.id, pw: account.password }, account.token);
      expect(code(res)).toBe('FORBIDDEN');
      expect(res.errors![0].message).toMatch(/CUSTOMER_ENABLE_2FA/);
      expect(code(await off.gql(VERIFY, { id: account.id, code: '123456' }, account.token))).toBe('FORBIDDEN');
    } finally {
      await off.close();
    }
  });
});
