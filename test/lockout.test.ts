import { currentStep, enrol, fromIp, lastEvent, login, PASSWORD, register, totpAt } from './helpers/accounts';
import { postGraphql, redisEnv, startReplica, startTestServer, TestServer, uniqueEmail, errorCode as code } from './helpers/server';

// The login lockout (stored in PostgreSQL) and the per-IP limit (Redis, or in-process).

describe('account lockout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('locks after 5 failed logins, refusing even the right password, and audits the lockout', async () => {
    const account = await register(server);
    for (let i = 0; i < 5; i++) expect(code(await login(server, account.email, `wrong-${i}-password`))).toBe('INVALID_CREDENTIALS');
    const locked = await login(server, account.email, PASSWORD);
    expect(code(locked)).toBe('ACCOUNT_LOCKED');
    expect(locked.errors![0].extensions).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect((locked.errors![0].extensions as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(800);
    const rows = await server.db.query<{ event_type: string }>(
      "SELECT event_type FROM audit_events WHERE customer_id = $1 AND event_type IN ('customer.account.locked', 'customer.login.failed') ORDER BY created_at",
      [account.id],
    );
    expect(rows.filter((r) => r.event_type === 'customer.account.locked')).toHaveLength(1);
    expect(rows.filter((r) => r.event_type === 'customer.login.failed')).toHaveLength(6);
  });

  it('a successful login resets the counter', async () => {
    const account = await register(server);
    for (let i = 0; i < 4; i++) await login(server, account.email, 'wrong password');
    expect((await login(server, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
    for (let i = 0; i < 4; i++) expect(code(await login(server, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect((await login(server, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
  });

  it('100 parallel wrong guesses: exactly 5 are compared, the other 95 meet the lock', async () => {
    const account = await register(server);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => login(server, account.email, `guess-number-${i}`)));
    const codes = results.map(code);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED')).toHaveLength(95);
    const [wrong] = await server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE customer_id = $1 AND metadata->>'reason' = 'wrong_password'",
      [account.id],
    );
    expect(wrong.n).toBe(5);
  });

  it('counts failures only within the window', async () => {
    const short = await startTestServer({ CUSTOMER_LOGIN_FAILURE_WINDOW_SECONDS: '1' });
    try {
      const account = await register(short);
      for (let i = 0; i < 4; i++) await login(short, account.email, 'wrong password');
      await new Promise((r) => setTimeout(r, 1100));
      for (let i = 0; i < 4; i++) expect(code(await login(short, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
      expect((await login(short, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
    } finally {
      await short.close();
    }
  });

  it('the cooling period grows with repeated lockouts and ends by itself', async () => {
    const short = await startTestServer({ CUSTOMER_LOCKOUT_SECONDS: '1' });
    try {
      const account = await register(short);
      const lockOnce = async () => {
        for (let i = 0; i < 5; i++) expect(code(await login(short, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
        const res = await login(short, account.email, PASSWORD);
        expect(code(res)).toBe('ACCOUNT_LOCKED');
        return (res.errors![0].extensions as { retryAfterSeconds: number }).retryAfterSeconds;
      };
      // Each lockout takes 5 fresh failures, and lasts twice as long as the one before.
      expect(await lockOnce()).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await lockOnce()).toBe(2);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await login(short, account.email, PASSWORD)).data!.login.accessToken).toEqual(expect.any(String));
    } finally {
      await short.close();
    }
  });
});

describe('parallel correct passwords', () => {
  let slow: TestServer;
  beforeAll(async () => {
    // bcrypt at cost 8: compares slow enough that many are in flight at once.
    slow = await startTestServer({ CUSTOMER_BCRYPT_COST: '8' });
  });
  afterAll(() => slow.close());

  it('16 parallel logins with the right password all sign in: none is told the account is locked, none fails', async () => {
    const account = await register(slow);
    const results = await Promise.all(Array.from({ length: 16 }, () => login(slow, account.email, PASSWORD)));
    expect(results.map((r) => code(r) ?? 'ok')).toEqual(Array(16).fill('ok'));
    // And the count is clear afterwards: 4 wrong guesses still leave the owner in.
    for (let i = 0; i < 4; i++) expect(code(await login(slow, account.email, 'wrong password'))).toBe('INVALID_CREDENTIALS');
    expect(code(await login(slow, account.email, PASSWORD))).toBeUndefined();
  });

  it('8 parallel changePassword calls with the right current password all succeed, one after another', async () => {
    const account = await register(slow);
    // One customer's checks run one at a time, each against the password the previous one
    // set: the current password stays right when each sets the same one again...
    const change = (current: string, next: string) =>
      slow.gql('mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: current, n: next }, account.token);
    const results = await Promise.all(Array.from({ length: 8 }, () => change(PASSWORD, PASSWORD)));
    expect(results.map((r) => code(r) ?? 'ok')).toEqual(Array(8).fill('ok'));
    // ... and when each sets a new one, exactly one of them knew the password it replaced.
    const changed = await Promise.all(Array.from({ length: 4 }, (_, i) => change(PASSWORD, `next secret ${i}`)));
    expect(changed.map((r) => code(r) ?? 'ok').sort()).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'ok']);
  });

  it('20 parallel changePassword calls of one customer: one check at a time, 8 at most in line, the rest refused at once; others unaffected', async () => {
    const [account, other] = [await register(slow), await register(slow)];
    const change = (token: string, n: number) =>
      slow.gql(
        'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
        { c: PASSWORD, n: PASSWORD },
        token,
        fromIp(`192.0.2.${n}`),
      );
    const [flood, theirs] = await Promise.all([Promise.all(Array.from({ length: 20 }, (_, i) => change(account.token, 100 + i))), change(other.token, 99)]);
    const refused = flood.filter((r) => code(r) === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) expect(r.errors![0].message).toMatch(/for this account at once/);
    expect(flood.filter((r) => r.data?.changePassword === true).length).toBe(20 - refused.length);
    expect(theirs.data).toEqual({ changePassword: true });
  });

  it('right and wrong passwords in parallel: the right ones sign in, the wrong ones are refused, nothing else', async () => {
    const account = await register(slow);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login(slow, account.email, i % 3 === 0 ? 'wrong password' : PASSWORD)));
    results.forEach((r, i) => expect(code(r) ?? 'ok').toBe(i % 3 === 0 ? 'INVALID_CREDENTIALS' : 'ok'));
  });
});

describe('the lockout tells nothing about which emails exist', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('an unknown email is locked after 5 guesses exactly like a known one, with the same answers', async () => {
    const account = await register(server);
    const ghost = uniqueEmail('ghost');
    const answers = async (email: string) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await login(server, email, `guess-${i}-password`);
        out.push(`${code(res)} ${JSON.stringify(res.errors![0].extensions)} ${res.errors![0].message}`);
      }
      return out;
    };
    const known = await answers(account.email);
    const unknown = await answers(ghost);
    expect(unknown).toEqual(known);
    expect(known[5]).toMatch(/^ACCOUNT_LOCKED/);
    // Case does not make a second allowance.
    expect(code(await login(server, ghost.toUpperCase(), 'again-a-guess'))).toBe('ACCOUNT_LOCKED');
  });

  it('100 parallel guesses at an unknown email: 5 compared, 95 meet the lock, as for a known one', async () => {
    const ghost = uniqueEmail('ghost');
    const parallel = await Promise.all(Array.from({ length: 100 }, (_, i) => login(server, ghost, `guess-number-${i}`)));
    const codes = parallel.map(code);
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED')).toHaveLength(95);
  });

  it('login and requestPasswordReset take as long for a known email as for an unknown one (50 interleaved pairs)', async () => {
    const open = await startTestServer({ CUSTOMER_LOGIN_MAX_FAILURES: '100' });
    try {
      const account = await register(open);
      const ghost = uniqueEmail('ghost');
      const timed = async (fn: () => Promise<unknown>) => {
        const started = performance.now();
        await fn();
        const ms = performance.now() - started;
        // Work a request left behind (a reset issued after its answer) settles before the next.
        await new Promise((r) => setTimeout(r, 15));
        return ms;
      };
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const compare = async (request: (email: string) => Promise<unknown>) => {
        const known: number[] = [];
        const unknown: number[] = [];
        for (let i = 0; i < 5; i++) await request(i % 2 ? account.email : ghost); // warm-up
        for (let i = 0; i < 50; i++) {
          // Interleaved, alternating which goes first, so drift in the machine's load hits both.
          const pair = i % 2 ? [account.email, ghost] : [ghost, account.email];
          for (const email of pair) (email === ghost ? unknown : known).push(await timed(() => request(email)));
        }
        return { known: median(known), unknown: median(unknown) };
      };
      const withinNoise = ({ known, unknown }: { known: number; unknown: number }) => (
        process.env.SHOW_TIMING && process.stdout.write(`${known} ${unknown}\n`),
        expect(Math.abs(known - unknown)).toBeLessThan(Math.max(1, 0.2 * Math.max(known, unknown)))
      );

      const logins = await compare(async (email) => expect(code(await login(open, email, 'not-the-password'))).toBe('INVALID_CREDENTIALS'));
      withinNoise(logins);
      const resets = await compare(async (email) =>
        expect((await open.gql('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: email })).data).toEqual({ requestPasswordReset: true }),
      );
      withinNoise(resets);
    } finally {
      await open.close();
    }
  });
});

describe('a lockout cannot keep the owner out', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('a login that passes the second factor is let through while the account is locked', async () => {
    const account = await enrol(server);
    for (let i = 0; i < 5; i++) await login(server, account.email, `attacker-guess-${i}`);
    expect(code(await login(server, account.email, PASSWORD))).toBe('ACCOUNT_LOCKED');
    // Someone who only knows the email sends codes: the same answer as for anyone, and the
    // owner's factor is not locked by them (10 wrong codes, twice its limit).
    for (let i = 0; i < 10; i++) expect(code(await login(server, account.email, 'attacker-guess-x', String(100000 + i)))).toBe('ACCOUNT_LOCKED');
    expect(code(await login(server, account.email, PASSWORD, '000000'))).toBe('ACCOUNT_LOCKED');
    // The owner with their factor: in, and the lock is lifted.
    const owner = await login(server, account.email, PASSWORD, totpAt(account.secret, currentStep()));
    expect(owner.data?.login.accessToken).toEqual(expect.any(String));
    expect(code(await login(server, account.email, 'attacker-guess-y'))).toBe('INVALID_CREDENTIALS');
  });

  it('holding the second factor gives 3 password guesses per lock, answered like any other refusal', async () => {
    const account = await enrol(server);
    for (let i = 0; i < 5; i++) await login(server, account.email, `attacker-guess-${i}`);
    const recovery = account.recovery;
    // A valid (recovery) code with a wrong password: ACCOUNT_LOCKED, as for a wrong code; the code stays unspent.
    for (let i = 0; i < 3; i++) expect(code(await login(server, account.email, `wrong-with-code-${i}`, recovery[0]))).toBe('ACCOUNT_LOCKED');
    // The budget is spent: even both right wait for the lock to end (or a reset).
    expect(code(await login(server, account.email, PASSWORD, recovery[0]))).toBe('ACCOUNT_LOCKED');
  });

  it("holding the password gives only the factor's own code guesses while locked (5), then the factor locks too", async () => {
    const account = await enrol(server);
    for (let i = 0; i < 5; i++) await login(server, account.email, `attacker-guess-${i}`);
    // The right password with wrong codes: each counts towards the factor's lock, as outside a lockout.
    for (let i = 0; i < 5; i++) expect(code(await login(server, account.email, PASSWORD, String(200000 + i)))).toBe('ACCOUNT_LOCKED');
    const [factor] = await server.db.query<{ locked: boolean }>('SELECT locked_until > now() AS locked FROM customer_two_factor WHERE customer_id = $1', [
      account.id,
    ]);
    expect(factor.locked).toBe(true);
    // Now even the right code waits for the factor's lock (or a password reset).
    expect(code(await login(server, account.email, PASSWORD, totpAt(account.secret, currentStep())))).toBe('ACCOUNT_LOCKED');
  });

  it('a password reset by email lifts the lockout', async () => {
    const account = await register(server);
    for (let i = 0; i < 5; i++) await login(server, account.email, `attacker-guess-${i}`);
    expect(code(await login(server, account.email, PASSWORD))).toBe('ACCOUNT_LOCKED');
    await server.gql('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: account.email });
    const token = (await lastEvent(server, account.id, 'customer.password_reset_requested'))!.data.token;
    expect((await server.gql('mutation($t: String!) { resetPassword(token: $t, newPassword: "a fresh passphrase") }', { t: token })).data).toEqual({
      resetPassword: true,
    });
    expect(code(await login(server, account.email, 'a fresh passphrase'))).toBeUndefined();
  });
});

describe('per-IP limit', () => {
  it('stops one address from trying many accounts; other addresses go on (Redis, shared by replicas)', async () => {
    const env = { ...redisEnv(), CUSTOMER_AUTH_RATE_LIMIT: '5' };
    const server = await startTestServer(env);
    const replica = await startReplica(server, env);
    try {
      // Until its connection is up, a replica counts in memory (the limiter's stand-in).
      while (!(await server.app.bus.redisReady()) || !(await replica.app.bus.redisReady())) await new Promise((r) => setTimeout(r, 20));
      const ip = fromIp('198.51.100.9');
      for (let i = 0; i < 3; i++) expect(code(await login(server, uniqueEmail('spray'), PASSWORD, undefined, ip))).toBe('INVALID_CREDENTIALS');
      for (let i = 0; i < 2; i++) {
        const res = await postGraphql(
          replica.url,
          'mutation($e: String!) { login(input: { email: $e, password: "x-password" }) { accessToken } }',
          { e: uniqueEmail() },
          null,
          ip,
        );
        expect(code(res)).toBe('INVALID_CREDENTIALS');
      }
      const limited = await login(server, uniqueEmail('spray'), PASSWORD, undefined, ip);
      expect(code(limited)).toBe('RATE_LIMITED');
      expect(limited.errors![0].extensions).toMatchObject({ retryAfterSeconds: expect.any(Number) });
      // Registration and password resets draw on the same allowance.
      expect(code(await server.gql('mutation { requestPasswordReset(email: "a@example.com") }', {}, null, ip))).toBe('RATE_LIMITED');
      expect(code(await login(server, uniqueEmail('other'), PASSWORD, undefined, fromIp('198.51.100.10')))).toBe('INVALID_CREDENTIALS');
    } finally {
      await replica.close();
      await server.close();
    }
  });

  it('counts an IPv6 client by its /64: rotating the rest of the address gives no fresh allowance', async () => {
    const server = await startTestServer({ CUSTOMER_AUTH_RATE_LIMIT: '3' });
    try {
      for (let i = 1; i <= 3; i++)
        expect(code(await login(server, uniqueEmail('v6'), PASSWORD, undefined, fromIp(`2001:db8:1:2::${i}`)))).toBe('INVALID_CREDENTIALS');
      expect(code(await login(server, uniqueEmail('v6'), PASSWORD, undefined, fromIp('2001:db8:1:2:ffff:1:2:3')))).toBe('RATE_LIMITED');
      // Another /64 has its own.
      expect(code(await login(server, uniqueEmail('v6'), PASSWORD, undefined, fromIp('2001:db8:1:3::1')))).toBe('INVALID_CREDENTIALS');
    } finally {
      await server.close();
    }
  });

  it('changePassword: bounded per customer (from any address) and per address, so one customer cannot keep bcrypt busy', async () => {
    const server = await startTestServer({ CUSTOMER_AUTH_RATE_LIMIT: '3' });
    try {
      const account = await register(server, {}, fromIp('192.0.2.70'));
      const change = (ip: string) =>
        server.gql(
          'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
          { c: PASSWORD, n: PASSWORD },
          account.token,
          fromIp(ip),
        );
      // Three from three addresses: fine. The fourth, from a fourth address: this account's allowance is spent.
      for (let i = 0; i < 3; i++) expect((await change(`192.0.2.${80 + i}`)).data).toEqual({ changePassword: true });
      const limited = await change('192.0.2.90');
      expect(code(limited)).toBe('RATE_LIMITED');
      expect(limited.errors![0].message).toMatch(/this account/);
      // Another customer from one of those addresses still has the address's allowance left... until it is spent.
      const other = await register(server, {}, fromIp('192.0.2.71'));
      const fromOne = (ip: string) =>
        server.gql(
          'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
          { c: PASSWORD, n: PASSWORD },
          other.token,
          fromIp(ip),
        );
      expect((await fromOne('192.0.2.80')).data).toEqual({ changePassword: true });
      expect((await fromOne('192.0.2.80')).data).toEqual({ changePassword: true });
      expect(errorMessage(await fromOne('192.0.2.80'))).toMatch(/this address/);
    } finally {
      await server.close();
    }
  });

  it('works in-process without Redis, and successful logins give their attempt back', async () => {
    const server = await startTestServer({ CUSTOMER_AUTH_RATE_LIMIT: '3' });
    try {
      const ip = fromIp('192.0.2.44');
      const account = await register(server, {}, fromIp('192.0.2.1'));
      for (let i = 0; i < 5; i++) expect((await login(server, account.email, PASSWORD, undefined, ip)).data!.login.accessToken).toEqual(expect.any(String));
      for (let i = 0; i < 3; i++) expect(code(await login(server, uniqueEmail(), PASSWORD, undefined, ip))).toBe('INVALID_CREDENTIALS');
      expect(code(await login(server, account.email, PASSWORD, undefined, ip))).toBe('RATE_LIMITED');
    } finally {
      await server.close();
    }
  });
});

const errorMessage = (res: { errors?: { message: string }[] }) => res.errors?.[0]?.message;
