import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { register } from '../helpers/accounts';
import { createCustomer, startTestServer, TestServer, tokens } from '../helpers/server';
import type { Queryable } from '../../src/db/database';
import { AuthRepository } from '../../src/modules/auth/auth.repository';
import { LockoutLimits, LockoutRepository } from '../../src/modules/auth/lockout.repository';
import { CustomerRepository } from '../../src/modules/customer/customer.repository';

// The account's repositories against the real PostgreSQL: what each statement decides (single
// use, atomic counts, locks by the database's clock). Customers are made through the public
// API; everything else through the repositories.

const auth = new AuthRepository();
const lockouts = new LockoutRepository();
const customers = new CustomerRepository();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const tx = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => server.db.transaction(fn);
const hash = (s: string) => createHash('sha256').update(s).digest();
const session = (customerId: string, ttlSeconds = 3600, id = randomUUID()) =>
  tx((q) => auth.createSession(q, { id, customerId, ttlSeconds, ip: '203.0.113.9', userAgent: 'jest' }));

describe('sessions', () => {
  it('are live until revoked or expired, and only for their own customer', async () => {
    const { id } = await register(server);
    const a = await session(id);
    const expired = await session(id, 0);
    expect(a.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(await auth.isSessionLive(server.db, a.id, id)).toBe(true);
    expect(await auth.isSessionLive(server.db, expired.id, id)).toBe(false);
    const other = await register(server);
    expect(await auth.isSessionLive(server.db, a.id, other.id)).toBe(false);
    expect(await tx((q) => auth.revokeSession(q, a.id))).toBe(true);
    expect(await tx((q) => auth.revokeSession(q, a.id))).toBe(false);
    expect(await auth.isSessionLive(server.db, a.id, id)).toBe(false);
  });

  it('revoking all but one keeps that one and counts the others (revoked ones not again)', async () => {
    const { id } = await register(server); // its own session, from register
    const [keep, b, c] = [await session(id), await session(id), await session(id)];
    await tx((q) => auth.revokeSession(q, c.id));
    expect(await tx((q) => auth.revokeSessions(q, id, keep.id))).toBe(2);
    expect(await auth.isSessionLive(server.db, keep.id, id)).toBe(true);
    expect(await auth.isSessionLive(server.db, b.id, id)).toBe(false);
    expect(await tx((q) => auth.revokeSessions(q, id, null))).toBe(1);
    expect(await auth.isSessionLive(server.db, keep.id, id)).toBe(false);
  });

  it('end with their customer: suspended or erased', async () => {
    const suspended = await register(server);
    const s = await session(suspended.id);
    await server.gql('mutation($id: ID!) { setCustomerStatus(id: $id, status: SUSPENDED) { id } }', { id: suspended.id }, tokens.admin());
    // (suspension revokes them too; one made afterwards is refused for the status alone)
    const after = await session(suspended.id);
    expect(await auth.isSessionLive(server.db, s.id, suspended.id)).toBe(false);
    expect(await auth.isSessionLive(server.db, after.id, suspended.id)).toBe(false);

    const erased = await register(server);
    await server.gql('mutation($id: ID!) { deleteCustomer(id: $id) { anonymized } }', { id: erased.id }, tokens.admin());
    const late = await session(erased.id);
    expect(await auth.isSessionLive(server.db, late.id, erased.id)).toBe(false);
  });
});

describe('email and password tokens', () => {
  it('are taken once, answer whom they were for, and expire', async () => {
    const { id, email } = await register(server);
    const token = randomBytes(32);
    const expiresAt = await tx((q) => auth.insertToken(q, { customerId: id, purpose: 'PASSWORD_RESET', tokenHash: token, email, ttlSeconds: 3600 }));
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    // The purpose is part of the key.
    expect(await tx((q) => auth.takeToken(q, 'EMAIL_VERIFICATION', token))).toBeNull();
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', token))).toEqual({ customerId: id, email, live: true });
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', token))).toBeNull();

    const stale = randomBytes(32);
    await tx((q) => auth.insertToken(q, { customerId: id, purpose: 'PASSWORD_RESET', tokenHash: stale, email: null, ttlSeconds: 0 }));
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', stale))).toEqual({ customerId: id, email: null, live: false });
  });

  it('of two concurrent takers, one gets the token', async () => {
    const { id } = await register(server);
    const token = randomBytes(32);
    await tx((q) => auth.insertToken(q, { customerId: id, purpose: 'PASSWORD_RESET', tokenHash: token, email: null, ttlSeconds: 60 }));
    const taken = await Promise.all([1, 2, 3].map(() => tx((q) => auth.takeToken(q, 'PASSWORD_RESET', token))));
    expect(taken.filter((t) => t !== null)).toHaveLength(1);
  });

  it('deleteTokens removes the customer’s tokens of one purpose only', async () => {
    const { id } = await register(server);
    const [reset, verify] = [randomBytes(32), randomBytes(32)];
    await tx(async (q) => {
      await auth.insertToken(q, { customerId: id, purpose: 'PASSWORD_RESET', tokenHash: reset, email: null, ttlSeconds: 60 });
      await auth.insertToken(q, { customerId: id, purpose: 'EMAIL_VERIFICATION', tokenHash: verify, email: null, ttlSeconds: 60 });
      await auth.deleteTokens(q, id, 'PASSWORD_RESET');
    });
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', reset))).toBeNull();
    expect(await tx((q) => auth.takeToken(q, 'EMAIL_VERIFICATION', verify))).toMatchObject({ customerId: id, live: true });
  });
});

describe('credentials', () => {
  it('finds live accounts with a password by email or id; a back-office customer gets one by setPasswordHash', async () => {
    const account = await register(server);
    const found = await auth.findAccount(server.db, 'email', account.email.toLowerCase());
    expect(found).toMatchObject({ id: account.id, email: account.email.toLowerCase(), status: 'ACTIVE', twoFactorEnabled: false });
    expect(found!.passwordHash).toMatch(/^\$2[aby]\$/);
    expect(await auth.findAccount(server.db, 'id', account.id)).toEqual(found);

    const backOffice = await createCustomer(server);
    expect(await auth.findAccount(server.db, 'id', backOffice.id)).toBeNull();
    expect(await tx((q) => auth.passwordHash(q, backOffice.id))).toBeNull();
    await tx((q) => auth.setPasswordHash(q, backOffice.id, 'hash-one'));
    await tx((q) => auth.setPasswordHash(q, backOffice.id, 'hash-two'));
    expect(await tx((q) => auth.passwordHash(q, backOffice.id))).toBe('hash-two');
    expect((await auth.findAccount(server.db, 'email', backOffice.email.toLowerCase()))?.passwordHash).toBe('hash-two');
  });

  it('insertCredential and touchLastLogin', async () => {
    const c = await createCustomer(server);
    await tx((q) => auth.insertCredential(q, c.id, 'stored-hash'));
    expect((await auth.exportPersonal(server.db, c.id)).account).toEqual({ passwordChangedAt: expect.any(Date), lastLoginAt: null });
    await tx((q) => auth.touchLastLogin(q, c.id));
    expect((await auth.exportPersonal(server.db, c.id)).account?.lastLoginAt).toEqual(expect.any(Date));
  });
});

describe('lockout', () => {
  const limits: LockoutLimits = { maxFailedLogins: 5, failureWindowSeconds: 900, lockoutSeconds: 900, lockoutMaxSeconds: 86400 };
  const key = () => randomBytes(32);
  /** One wrong password: charged, then counted. */
  const wrong = async (k: Buffer, l = limits) => {
    expect(await lockouts.charge(server.db, k, l)).toBe(true);
    return lockouts.failed(server.db, k, l);
  };
  const secondsLeft = (until: Date | null) => ((until as Date).getTime() - Date.now()) / 1000;

  it('charges before the compare: failures plus attempts in flight stay under the limit', async () => {
    const k = key();
    for (let i = 0; i < 5; i++) expect(await lockouts.charge(server.db, k, limits)).toBe(true);
    expect(await lockouts.charge(server.db, k, limits)).toBe(false);
    // Refused for the budget, not locked.
    expect(await lockouts.state(server.db, k, 3)).toEqual({ lockedUntil: null, bypassLeft: true });
    await lockouts.release(server.db, k);
    expect(await lockouts.charge(server.db, k, limits)).toBe(true);
  });

  it('the 5th failure locks (and says so), a success forgets the failures', async () => {
    const k = key();
    for (let i = 0; i < 4; i++) expect(await wrong(k)).toBeNull();
    expect(await lockouts.charge(server.db, k, limits)).toBe(true);
    await lockouts.succeeded(server.db, k, false);
    for (let i = 0; i < 4; i++) expect(await wrong(k)).toBeNull();
    const lockedNow = await wrong(k);
    expect(secondsLeft(lockedNow)).toBeGreaterThan(890);
    expect(secondsLeft(lockedNow)).toBeLessThanOrEqual(900);
    expect(await lockouts.charge(server.db, k, limits)).toBe(false);
    expect(await lockouts.state(server.db, k, 3)).toEqual({ lockedUntil: lockedNow, bypassLeft: true });
  });

  it('a repeated lockout doubles, up to the maximum; a success after the lock starts again from the first', async () => {
    const k = key();
    const brief = { ...limits, lockoutSeconds: 0.001 };
    for (let i = 0; i < 4; i++) await wrong(k, brief);
    expect(await wrong(k, brief)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    // The lock is over; the second one (5 fresh failures) is twice lockoutSeconds.
    for (let i = 0; i < 4; i++) expect(await wrong(k)).toBeNull();
    const second = secondsLeft(await wrong(k));
    expect(second).toBeGreaterThan(1790);
    expect(second).toBeLessThanOrEqual(1800);

    const capped = key();
    const capLimits = { ...limits, lockoutMaxSeconds: 1000 };
    for (let i = 0; i < 5; i++) await wrong(capped, { ...capLimits, lockoutSeconds: 0.001 });
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 4; i++) await wrong(capped, capLimits);
    const cappedLeft = secondsLeft(await wrong(capped, capLimits));
    expect(cappedLeft).toBeGreaterThan(990);
    expect(cappedLeft).toBeLessThanOrEqual(1000);

    // Lifted by a login past the lock: the next lock is the first again.
    await lockouts.succeeded(server.db, k, true);
    for (let i = 0; i < 4; i++) expect(await wrong(k)).toBeNull();
    const first = secondsLeft(await wrong(k));
    expect(first).toBeGreaterThan(890);
    expect(first).toBeLessThanOrEqual(900);
  });

  it('counts failures only within the window', async () => {
    const k = key();
    const short = { ...limits, failureWindowSeconds: 0.005 };
    for (let i = 0; i < 7; i++) {
      expect(await wrong(k, short)).toBeNull();
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('of 20 parallel wrong guesses exactly 5 are charged', async () => {
    const k = key();
    const charged = await Promise.all(Array.from({ length: 20 }, () => lockouts.charge(server.db, k, limits)));
    expect(charged.filter(Boolean)).toHaveLength(5);
    const locks = await Promise.all(Array.from({ length: 5 }, () => lockouts.failed(server.db, k, limits)));
    expect(locks.filter((l) => l !== null)).toHaveLength(1);
    expect((await lockouts.state(server.db, k, 3))?.lockedUntil).toEqual(expect.any(Date));
  });

  it('bypass failures run out per lock; delete forgets the key; prune keeps what is recent', async () => {
    const k = key();
    for (let i = 0; i < 5; i++) await wrong(k);
    for (let i = 0; i < 3; i++) await lockouts.bypassFailed(server.db, k);
    expect((await lockouts.state(server.db, k, 3))?.bypassLeft).toBe(false);
    await lockouts.prune(server.db, limits);
    expect(await lockouts.state(server.db, k, 3)).not.toBeNull();
    await tx((q) => lockouts.delete(q, k));
    expect(await lockouts.state(server.db, k, 3)).toBeNull();
    expect(await lockouts.charge(server.db, k, limits)).toBe(true);
  });
});

describe('two-factor', () => {
  it('a pending factor, confirmed, steps accepted, failures counted to a lock and cleared; re-enrolment starts over', async () => {
    const { id } = await register(server);
    await tx((q) => auth.putPendingFactor(q, id, Buffer.from('secret-one')));
    const pending = await tx((q) => auth.lockFactor(q, id));
    expect(pending).toEqual({ secretCiphertext: Buffer.from('secret-one'), confirmed: false, lastUsedStep: null, lockedUntil: null, locked: false });
    await tx(async (q) => {
      await auth.confirmFactor(q, id);
      await auth.acceptStep(q, id, 12345);
    });
    expect(await tx((q) => auth.lockFactor(q, id))).toMatchObject({ confirmed: true, lastUsedStep: 12345, locked: false });

    const fails = [];
    for (let i = 0; i < 3; i++) fails.push(await tx((q) => auth.factorFailed(q, id, 3, 900)));
    expect(fails.slice(0, 2)).toEqual([null, null]);
    expect(fails[2]).toEqual(expect.any(Date));
    expect(await tx((q) => auth.lockFactor(q, id))).toMatchObject({ locked: true, lockedUntil: fails[2] });
    await tx((q) => auth.clearFactorFailures(q, id));
    expect(await tx((q) => auth.lockFactor(q, id))).toMatchObject({ locked: false, lockedUntil: null });

    await tx((q) => auth.putPendingFactor(q, id, Buffer.from('secret-two')));
    expect(await tx((q) => auth.lockFactor(q, id))).toEqual({
      secretCiphertext: Buffer.from('secret-two'),
      confirmed: false,
      lastUsedStep: null,
      lockedUntil: null,
      locked: false,
    });
    await tx((q) => auth.deleteFactor(q, id));
    expect(await tx((q) => auth.lockFactor(q, id))).toBeNull();
  });

  it('recovery codes work once each, answer how many are left, and one of two concurrent uses wins', async () => {
    const { id } = await register(server);
    const codes = ['a', 'b', 'c', 'd'].map(hash);
    await tx(async (q) => {
      await auth.putPendingFactor(q, id, Buffer.from('secret'));
      await auth.insertRecoveryCodes(q, id, codes);
      await auth.confirmFactor(q, id);
    });
    expect((await auth.peekFactor(server.db, id, codes[0]))?.recoveryMatch).toBe(true);
    expect(await tx((q) => auth.spendRecoveryCode(q, id, codes[0]))).toBe(3);
    expect(await tx((q) => auth.spendRecoveryCode(q, id, codes[0]))).toBeNull();
    expect((await auth.peekFactor(server.db, id, codes[0]))?.recoveryMatch).toBe(false);
    expect(await tx((q) => auth.spendRecoveryCode(q, id, hash('not a code')))).toBeNull();
    const racing = await Promise.all([1, 2, 3].map(() => tx((q) => auth.spendRecoveryCode(q, id, codes[1]))));
    expect(racing.filter((r) => r !== null)).toEqual([2]);
    // Another customer's code is not this one's.
    const other = await register(server);
    expect(await tx((q) => auth.spendRecoveryCode(q, other.id, codes[2]))).toBeNull();
    await tx((q) => auth.deleteRecoveryCodes(q, id));
    expect(await tx((q) => auth.spendRecoveryCode(q, id, codes[2]))).toBeNull();
  });

  it('peekFactor answers nothing for no customer, with the same statement', async () => {
    expect(await auth.peekFactor(server.db, null, hash('x'))).toBeNull();
  });

  it('factorState: whether a factor predates the token’s session or its iat', async () => {
    const { id } = await register(server);
    expect(await auth.factorState(server.db, id, Date.now(), null)).toEqual({ enabled: false, predatesToken: false });
    const before = await session(id);
    await tx(async (q) => {
      await auth.putPendingFactor(q, id, Buffer.from('secret'));
      await auth.confirmFactor(q, id);
      await customers.setTwoFactorEnabled(q, id, true);
    });
    const after = await session(id);
    expect(await auth.factorState(server.db, id, -Infinity, before.id)).toEqual({ enabled: true, predatesToken: false });
    expect(await auth.factorState(server.db, id, -Infinity, after.id)).toEqual({ enabled: true, predatesToken: true });
    expect(await auth.factorState(server.db, id, Date.now() + 60_000, null)).toEqual({ enabled: true, predatesToken: true });
    expect(await auth.factorState(server.db, id, -Infinity, null)).toEqual({ enabled: true, predatesToken: false });
    expect(await auth.factorState(server.db, randomUUID(), Date.now(), null)).toBeNull();
  });
});

describe('GDPR', () => {
  it('exportPersonal answers what the export shows of the account', async () => {
    const account = await register(server);
    await session(account.id);
    await tx(async (q) => {
      await auth.putPendingFactor(q, account.id, Buffer.from('secret'));
      await auth.insertRecoveryCodes(q, account.id, [hash('one'), hash('two')]);
      await auth.confirmFactor(q, account.id);
    });
    const mine = await auth.exportPersonal(server.db, account.id);
    expect(mine.sessions).toHaveLength(2);
    expect(mine.sessions[1]).toMatchObject({ ipAddress: '203.0.113.9', userAgent: 'jest', revokedAt: null });
    expect(mine.twoFactor).toMatchObject({ enabled: true, recoveryCodesLeft: 2 });
    const res = await server.gql('mutation($id: ID!) { exportCustomerData(id: $id) }', { id: account.id }, tokens.admin());
    const doc = res.data!.exportCustomerData;
    expect({ account: doc.account, sessions: doc.sessions, twoFactor: doc.twoFactor }).toEqual(JSON.parse(JSON.stringify(mine)));
    expect(await auth.exportPersonal(server.db, randomUUID())).toEqual({ account: null, sessions: [], twoFactor: { enabled: false } });
  });

  it('erasePersonal removes every secret of the customer and nobody else’s', async () => {
    const [gone, kept] = [await register(server), await register(server)];
    const tokensOf = new Map<string, Buffer>();
    for (const c of [gone, kept]) {
      const token = randomBytes(32);
      tokensOf.set(c.id, token);
      await tx(async (q) => {
        await auth.insertToken(q, { customerId: c.id, purpose: 'PASSWORD_RESET', tokenHash: token, email: null, ttlSeconds: 60 });
        await auth.putPendingFactor(q, c.id, Buffer.from('secret'));
        await auth.insertRecoveryCodes(q, c.id, [hash(`${c.id}-code`)]);
      });
    }
    await tx((q) => auth.erasePersonal(q, gone.id));
    expect(await auth.exportPersonal(server.db, gone.id)).toEqual({ account: null, sessions: [], twoFactor: { enabled: false } });
    expect(await tx((q) => auth.spendRecoveryCode(q, gone.id, hash(`${gone.id}-code`)))).toBeNull();
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', tokensOf.get(gone.id)!))).toBeNull();

    const still = await auth.exportPersonal(server.db, kept.id);
    expect(still.account).not.toBeNull();
    expect(still.sessions).toHaveLength(1);
    expect(still.twoFactor).toMatchObject({ enabled: false, recoveryCodesLeft: 1 });
    expect(await tx((q) => auth.takeToken(q, 'PASSWORD_RESET', tokensOf.get(kept.id)!))).toMatchObject({ customerId: kept.id });
  });
});

describe('CustomerRepository, for sign-in and two-factor', () => {
  it('reads, locks and changes what accounts need of the customer', async () => {
    const account = await register(server);
    const record = await customers.record(server.db, account.id);
    expect(record).toMatchObject({ id: account.id, email: account.email, emailVerified: false, twoFactorEnabled: false, status: 'ACTIVE' });
    expect(await tx((q) => customers.lockLive(q, account.id))).toEqual(record);
    expect(await tx((q) => customers.lockLiveAccount(q, account.id))).toEqual({ email: account.email, twoFactorEnabled: false });
    expect(await customers.findActiveByEmail(server.db, account.email.toLowerCase())).toEqual({ id: account.id, email: account.email });
    expect(await tx((q) => customers.shareLive(q, account.id))).toBe(true);
    expect(await tx((q) => customers.shareLive(q, null))).toBe(false);

    const verified = await tx((q) => customers.markEmailVerified(q, account.id));
    expect(verified).toMatchObject({ id: account.id, emailVerified: true });
    expect(verified.updatedAt.getTime()).toBeGreaterThanOrEqual(record!.updatedAt.getTime());
    await tx((q) => customers.setTwoFactorEnabled(q, account.id, true));
    expect(await customers.record(server.db, account.id)).toMatchObject({ emailVerified: true, twoFactorEnabled: true });

    await server.gql('mutation($id: ID!) { setCustomerStatus(id: $id, status: SUSPENDED) { id } }', { id: account.id }, tokens.admin());
    expect(await customers.findActiveByEmail(server.db, account.email.toLowerCase())).toBeNull();
    expect(await tx((q) => customers.shareLive(q, account.id))).toBe(true);
  });
});
