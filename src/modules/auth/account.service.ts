import { canonicalEmail } from '../../common/email';
import { randomUUID } from 'node:crypto';
import type { AuthConfig } from '../../config/config';
import type { TokenIssuer } from '../../auth/jwt';
import { checkNewPassword, PasswordHasher } from '../../auth/passwords';
import type { PasswordGate } from '../../auth/password-gate';
import type { IpRateLimiter } from '../../auth/rate-limit';
import type { SessionStore } from '../../auth/sessions';
import { asCustomer, type Viewer } from '../../auth/viewer';
import { AuditSeverity, CustomerStatus, RegistrationSource } from '../../common/enums';
import type { Database } from '../../db/database';
import { lockCustomer, lockLiveCustomer } from '../../db/locks';
import type { Actor } from '../../auth/actor';
import { Transactor, UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import type { CustomerRecord } from '../customer/customer.record';
import { CustomerRepository } from '../customer/customer.repository';
import type { CustomerService, NewCustomer } from '../customer/customer.service';
import type { Deferred } from '../../common/deferred';
import { AccountRow, AuthRepository } from './auth.repository';
import type { Lockout } from './lockout';
import { oneTimeTokens } from './one-time-tokens';
import { failOn, TwoFactorService } from './two-factor.service';

export interface AuthResult {
  accessToken: string | null;
  expiresAt: Date | null;
  customer: CustomerRecord | null;
  twoFactorRequired: boolean;
  /** Who the caller is from now on (for the rest of the operation). */
  viewer: Viewer | null;
}

export interface AccountDeps {
  db: Database;
  work: Transactor;
  customers: CustomerService;
  twoFactor: TwoFactorService;
  sessions: SessionStore;
  issuer: TokenIssuer;
  limiter: IpRateLimiter;
  hasher: PasswordHasher;
  settings: AuthConfig;
  lockout: Lockout;
  /** Attempts per customer at what costs a password compare while signed in (changePassword, re-authentication). */
  accountLimiter: IpRateLimiter;
  /** One in-session password check per customer at a time, a few per process (password-gate.ts). */
  passwordGate: PasswordGate;
  deferred: Deferred;
}

type Account = AccountRow;

const authRows = new AuthRepository();
const customerRows = new CustomerRepository();

const INVALID_CREDENTIALS = () => new DomainError('INVALID_CREDENTIALS', 'The email or password is not correct');

/**
 * Registration, sign-in and the account's secrets (passwords, sessions, email and password
 * tokens). The rules, in the order they apply to a login:
 *
 * 1. the client IP takes one attempt from its allowance (RATE_LIMITED beyond);
 * 2. the attempt is charged to the lockout of the email typed *before* the compare, known
 *    email or not (lockout.ts), and an unknown email costs one bcrypt compare like a known
 *    one: answers and timing do not tell which emails have accounts;
 * 3. a correct password clears the failures; a two-factor account then needs its code;
 *    while locked, only a login that passes the second factor first gets compared;
 * 4. a session row is written and a token naming it (`sid`) is signed.
 *
 * Failed attempts are audited in their own transaction, so they stay recorded although the
 * operation answers an error.
 */
export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  async register(input: NewCustomer & { password: string }, actor: Actor): Promise<AuthResult> {
    checkNewPassword('input.password', input.password);
    const { work, customers, sessions, limiter, hasher, settings } = this.deps;
    await limiter.consume(actor.meta.ip);
    const passwordHash = await hasher.hash(input.password);
    const { password: _secret, ...profile } = input;
    const { customer, session } = await work.run(actor, async (w) => {
      const customer = await customers.insert(w, { ...profile, registrationSource: input.registrationSource ?? RegistrationSource.WEBSITE });
      await authRows.insertCredential(w.tx, customer.id, passwordHash);
      const session = await sessions.create(w.tx, customer.id, settings.sessionTtlSeconds, actor.meta);
      await this.issueVerification(w, customer);
      return { customer, session };
    });
    return this.signedIn(customer, session);
  }

  async login(email: string, password: string, code: string | null | undefined, actor: Actor): Promise<AuthResult> {
    const { limiter, twoFactor, work, sessions, settings, lockout } = this.deps;
    await limiter.consume(actor.meta.ip);
    const account = await this.findAccount('email', email);
    const charge = await lockout.charge(email);
    let secondFactorPassed = false;
    if (charge.kind === 'locked') {
      // A lockout must not keep the owner out for as long as someone keeps guessing: a login
      // that passes the second factor is let through (passLock). Any other attempt gets the
      // same answer as for an unknown email.
      if (!code || !charge.bypassLeft || !(await this.passLock(charge.key, account, password, code, actor))) {
        await this.recordFailure(actor, account?.id ?? null, 'locked');
        throw lockedError(charge.lockedUntil);
      }
      secondFactorPassed = true;
    } else if (!(await this.compare(charge.key, account, password))) {
      const lockedNow = await lockout.failed(charge.key);
      await this.recordFailure(actor, account?.id ?? null, account ? 'wrong_password' : 'unknown_email', lockedNow);
      throw INVALID_CREDENTIALS();
    }
    // The password was right (compare() answers false without an account).
    const known = account as Account;
    if (known.status === CustomerStatus.SUSPENDED) {
      await this.recordFailure(actor, known.id, 'suspended');
      throw new DomainError('FORBIDDEN', 'This account is suspended');
    }
    if (known.twoFactorEnabled && !secondFactorPassed) {
      if (!code) {
        return { accessToken: null, expiresAt: null, customer: null, twoFactorRequired: true, viewer: null };
      }
      const check = await twoFactor.checkForLogin(known.id, code, actor);
      if (!check.ok) {
        await this.recordFailure(actor, known.id, check.reason === 'locked' ? 'two_factor_locked' : 'two_factor');
        failOn(check);
      }
    }
    // The success is recorded as the customer, in the session it opens.
    const sessionId = randomUUID();
    const signedIn: Actor = { viewer: { kind: 'customer', customerId: known.id, sessionId }, meta: actor.meta };
    const { customer, session } = await work.run(signedIn, async (w) => {
      // The customer's row lock orders this sign-in with an erasure running at the same time:
      // after it, there is no live customer and no session may be written.
      if (!(await lockLiveCustomer(w.tx, known.id))) throw INVALID_CREDENTIALS();
      // The password was compared before the lock. A new password (changePassword,
      // resetPassword) or email committed since then ended every other session under this same
      // lock; a session opened now with the old credentials would outlive that change.
      const customer = (await customerRows.record(w.tx, known.id)) as CustomerRecord;
      if ((await authRows.passwordHash(w.tx, known.id)) !== known.passwordHash || customer.email.toLowerCase() !== known.email) throw INVALID_CREDENTIALS();
      await authRows.touchLastLogin(w.tx, known.id);
      const session = await sessions.create(w.tx, known.id, settings.sessionTtlSeconds, actor.meta, sessionId);
      w.audit({
        eventType: 'customer.login.success',
        customerId: known.id,
        resourceId: session.id,
        operation: 'login',
        metadata: { twoFactor: known.twoFactorEnabled },
      });
      return { customer, session };
    });
    await limiter.refund(actor.meta.ip);
    return this.signedIn(customer, session);
  }

  /** Housekeeping: lockout rows with nothing left to remember. */
  pruneLockouts(): Promise<number> {
    return this.deps.lockout.prune();
  }

  /** Revokes the session of the token used; false when the token names none (AUTHENTICATED: src/auth/rules.ts). */
  async logout(actor: Actor): Promise<boolean> {
    const { viewer } = actor;
    if (viewer.kind !== 'customer' || viewer.sessionId === null) return false;
    const { sessionId, customerId } = viewer;
    return this.deps.work.run(actor, async (w) => {
      const revoked = await this.deps.sessions.revoke(w.tx, sessionId);
      if (revoked) w.audit({ eventType: 'customer.logout', customerId, resourceId: sessionId, operation: 'logout' });
      return revoked;
    });
  }

  /** Sends (through the outbox) a new verification token; false when the email is verified already. */
  async requestEmailVerification(customerId: string, actor: Actor): Promise<boolean> {
    await this.deps.limiter.consume(actor.meta.ip);
    return this.deps.work.run(actor, async (w) => {
      await lockCustomer(w.tx, customerId);
      const customer = (await customerRows.record(w.tx, customerId)) as CustomerRecord;
      if (customer.emailVerified) return false;
      await this.issueVerification(w, customer);
      return true;
    });
  }

  async verifyEmail(token: string, actor: Actor): Promise<CustomerRecord> {
    await this.deps.limiter.consume(actor.meta.ip);
    return this.deps.work.run(actor, async (w) => {
      const found = await oneTimeTokens.consume(w.tx, 'EMAIL_VERIFICATION', token);
      const customer = found ? await customerRows.lockLive(w.tx, found.customerId) : null;
      // A token sent to an address the customer no longer has proves nothing.
      if (!customer || customer.email !== found?.email) throw DomainError.badInput('token', 'is invalid or has expired');
      if (customer.emailVerified) return customer;
      const row = await customerRows.markEmailVerified(w.tx, customer.id);
      w.audit({
        eventType: 'customer.email.verify',
        customerId: customer.id,
        resourceId: customer.id,
        operation: 'update',
        oldValues: { emailVerified: false },
        newValues: { emailVerified: true },
      });
      w.emit({ type: 'customer.email_verified', customerId: customer.id, data: { customerId: customer.id } });
      w.segmentsMayChange(customer.id);
      return row;
    });
  }

  /**
   * Always true, and answered before the email is even looked up: whether it exists is told
   * neither by the answer nor by its timing. The token is issued (and sent through the
   * outbox) right after; a failure there is logged. Customers without a password may set one
   * this way.
   */
  async requestPasswordReset(email: string, actor: Actor): Promise<true> {
    await this.deps.limiter.consume(actor.meta.ip);
    this.deps.deferred.run('password reset request', () => this.issuePasswordReset(canonicalEmail(email), actor));
    return true;
  }

  private async issuePasswordReset(email: string, actor: Actor): Promise<void> {
    const customer = await customerRows.findActiveByEmail(this.deps.db, email);
    if (!customer) return;
    await this.deps.work.run(actor, async (w) => {
      // Erased since the look-up: no token may outlive the erasure.
      if (!(await lockLiveCustomer(w.tx, customer.id))) return;
      const { token, expiresAt } = await oneTimeTokens.issue(w.tx, customer.id, 'PASSWORD_RESET', customer.email);
      w.audit({ eventType: 'customer.password.reset_requested', customerId: customer.id, resourceId: customer.id, operation: 'request' });
      // For the notification service, which mails the link; the token is in no audit row or log.
      w.emit({
        type: 'customer.password_reset_requested',
        customerId: customer.id,
        data: { customerId: customer.id, token, expiresAt: expiresAt.toISOString() },
      });
    });
  }

  /** Sets a new password from a reset token and ends every session of the customer. */
  async resetPassword(token: string, newPassword: string, actor: Actor): Promise<true> {
    checkNewPassword('newPassword', newPassword);
    await this.deps.limiter.consume(actor.meta.ip);
    const passwordHash = await this.deps.hasher.hash(newPassword);
    await this.deps.work.run(actor, async (w) => {
      const found = await oneTimeTokens.consume(w.tx, 'PASSWORD_RESET', token);
      if (!found) throw DomainError.badInput('token', 'is invalid or has expired');
      const customer = await customerRows.lockLiveAccount(w.tx, found.customerId);
      // A link sent to an address the customer no longer has must not take over the account.
      if (!customer || customer.email !== found.email) throw DomainError.badInput('token', 'is invalid or has expired');
      await this.setPassword(w, { id: found.customerId, email: customer.email }, passwordHash, null, 'customer.password.reset');
    });
    return true;
  }

  /** The signed-in customer's own password (CUSTOMER: src/auth/rules.ts); their other sessions end, this one stays. */
  async changePassword(currentPassword: string, newPassword: string, actor: Actor): Promise<true> {
    const viewer = asCustomer(actor.viewer);
    checkNewPassword('newPassword', newPassword);
    const { hasher, work, passwordGate } = this.deps;
    // The whole change inside the gate: one at a time per customer in this process, so each
    // compares against the password the previous one set.
    await passwordGate.run(viewer.customerId, async () => {
      await this.consumePasswordAttempt(viewer.customerId, actor);
      const account = await this.findAccount('id', viewer.customerId);
      if (!account) {
        await hasher.burn(currentPassword);
        throw INVALID_CREDENTIALS();
      }
      await this.checkPassword(account, currentPassword, actor);
      const passwordHash = await hasher.hash(newPassword);
      await work.run(actor, async (w) => {
        // Erased while the new password was being hashed: nothing more is written for them.
        if (!(await lockLiveCustomer(w.tx, account.id))) throw INVALID_CREDENTIALS();
        // Changed since we compared (by another replica, or a reset): compared again, under
        // the row lock, against what is stored now. Rare, so the bcrypt work inside the
        // transaction is too; of concurrent changes from one password exactly one wins.
        const stored = await authRows.passwordHash(w.tx, account.id);
        if (stored !== account.passwordHash && !(stored !== null && (await hasher.verify(currentPassword, stored)))) throw INVALID_CREDENTIALS();
        await this.setPassword(w, account, passwordHash, viewer.sessionId, 'customer.password.change');
      });
    });
    return true;
  }

  /**
   * Asks a signed-in customer to prove it again before something a stolen session must not
   * do (erasure, a change of email, enrolling a second factor): their password, or a
   * two-factor code when two-factor is on (`allowCode`). Wrong passwords count towards the
   * lockout, wrong codes towards the two-factor lock, like at login.
   *
   * A second factor enrolled after the token was issued does not stand in for the password:
   * whoever holds a stolen session could otherwise enrol one and then use it here. A customer
   * with neither a password nor a factor (created by the back office, signed in by the
   * platform's auth service) has nothing to re-enter, so the token alone would do: FORBIDDEN,
   * until they set a password (requestPasswordReset) or an ADMIN acts for them. Erasure
   * included: it cannot be undone.
   */
  async confirmIdentity(
    customerId: string,
    password: string | null | undefined,
    code: string | null | undefined,
    actor: Actor,
    { field = 'password', allowCode = true } = {},
  ): Promise<void> {
    const account = await this.findAccount('id', customerId);
    // Before the session was opened (the database's own clock), or for a token without a
    // session before its `iat` (never later than now: a token from the future proves nothing).
    const factor = await authRows.factorState(this.deps.db, customerId, issuedAt(actor), actor.viewer.kind === 'anonymous' ? null : actor.viewer.sessionId);
    const twoFactor = allowCode && factor?.enabled === true;
    if (password && account) {
      return this.deps.passwordGate.run(customerId, async () => {
        await this.consumePasswordAttempt(customerId, actor);
        await this.checkPassword(account, password, actor);
      });
    }
    if (code && twoFactor) {
      if (!factor?.predatesToken) {
        throw DomainError.badInput(field, 'a second factor enrolled since you signed in cannot confirm this; enter your password');
      }
      return failOn(await this.deps.twoFactor.checkForLogin(customerId, code, actor));
    }
    // Nothing to confirm with: the token alone (perhaps stolen) must not erase the account or
    // change what signs in to it.
    if (!account && !twoFactor) throw new DomainError('FORBIDDEN', 'Set a password first (requestPasswordReset) to change this yourself, or ask support');
    throw DomainError.badInput(field, twoFactor ? 'enter your password or a two-factor code to confirm' : 'enter your password to confirm');
  }

  /** A live customer with a password, by id or by (normalised) email. */
  private findAccount(by: 'id' | 'email', value: string): Promise<Account | null> {
    return authRows.findAccount(this.deps.db, by, value);
  }

  /**
   * A new password hash (the row is created for a customer who had none; the lockout of
   * their email forgotten), every session but `keep` ended, and the change recorded.
   */
  private async setPassword(
    w: UnitOfWork,
    customer: { id: string; email: string },
    passwordHash: string,
    keep: string | null,
    eventType: string,
  ): Promise<void> {
    const customerId = customer.id;
    await authRows.setPasswordHash(w.tx, customerId, passwordHash);
    await this.deps.lockout.forget(w.tx, customer.email);
    const revoked = await this.deps.sessions.revokeAll(w.tx, customerId, keep);
    w.audit({
      eventType,
      severity: keep === null ? AuditSeverity.WARN : AuditSeverity.INFO,
      customerId,
      resourceId: customerId,
      operation: 'update',
      metadata: { sessionsRevoked: revoked },
    });
    w.emit({ type: 'customer.password_changed', customerId, data: { customerId } });
  }

  /**
   * A login while its email is locked: let through only with a valid second factor *and* the
   * right password. The code is checked first without counting or spending it (an attacker
   * who merely knows the email must not lock the owner's factor), the password is compared
   * whatever the code (the same work for every account), and only both together spend the
   * code and lift the lock. A valid code with a wrong password uses up one of the lock's few
   * bypass attempts, so holding the factor does not give unlimited password guesses; a wrong
   * code with the right password counts towards the factor's lock, so holding the password does
   * not give unlimited code guesses. Every failure answers the same ACCOUNT_LOCKED: nothing
   * tells whether the code was right.
   */
  private async passLock(key: Buffer, account: Account | null, password: string, code: string, actor: Actor): Promise<boolean> {
    const { twoFactor, hasher, lockout } = this.deps;
    const factorOk = await twoFactor.peek(account?.twoFactorEnabled ? account.id : null, code);
    const passwordOk = account ? await hasher.verify(password, account.passwordHash) : await hasher.burn(password);
    if (!account) return false;
    if (!factorOk) {
      // The right password with a wrong code: whoever sends it holds the password and is
      // guessing codes, which count towards the factor's lock as on the normal path (else the
      // per-IP allowance was the only bound). Someone who merely knows the email never gets here.
      if (passwordOk && account.twoFactorEnabled) await twoFactor.checkForLogin(account.id, code, actor);
      return false;
    }
    if (!passwordOk) {
      await lockout.bypassFailed(key);
      return false;
    }
    if (!(await twoFactor.checkForLogin(account.id, code, actor)).ok) return false;
    await lockout.succeeded(key, { lift: true });
    return true;
  }

  /**
   * The password check with the lockout around it: charged first, compared second, and a
   * failure recorded (with the lockout it may have started) before the error is answered.
   */
  private async checkPassword(account: Account, password: string, actor: Actor): Promise<void> {
    const charge = await this.deps.lockout.charge(account.email);
    if (charge.kind === 'locked') {
      await this.recordFailure(actor, account.id, 'locked');
      throw lockedError(charge.lockedUntil);
    }
    if (await this.compare(charge.key, account, password)) return;
    const lockedNow = await this.deps.lockout.failed(charge.key);
    await this.recordFailure(actor, account.id, 'wrong_password', lockedNow);
    throw INVALID_CREDENTIALS();
  }

  /**
   * Compares a charged attempt (against a hash nobody knows the password of when there is no
   * account, so an unknown email costs the same) and settles a success. A failure is the
   * caller's to settle; an attempt that throws before it is decided is released.
   */
  private async compare(key: Buffer, account: Account | null, password: string): Promise<boolean> {
    const { hasher, lockout } = this.deps;
    let ok: boolean;
    try {
      ok = account ? await hasher.verify(password, account.passwordHash) : await hasher.burn(password);
    } catch (err) {
      await lockout.release(key).catch(() => undefined);
      throw err;
    }
    if (ok) await lockout.succeeded(key);
    return ok;
  }

  /**
   * bcrypt work a signed-in caller can ask for is bounded per customer and per client address.
   * The customer's allowance first: a customer over it is refused from memory (the limiter
   * remembers a refused key until its window ends), even when every request comes from a new
   * address.
   */
  private async consumePasswordAttempt(customerId: string, actor: Actor): Promise<void> {
    await this.deps.accountLimiter.consume(customerId);
    await this.deps.limiter.consume(actor.meta.ip);
  }

  private async recordFailure(actor: Actor, customerId: string | null, reason: string, lockedUntil: Date | null = null): Promise<void> {
    await this.deps.work.run(actor, async (w) => {
      // A failure against a customer erased meanwhile is recorded as one against nobody: the
      // erasure has already anonymised their trail, and this row would carry IP and user agent.
      // (KEY SHARE: failures of one customer do not queue behind each other.) Asked for an
      // unknown email too (of no row), so both cost the same statements.
      if (!(await customerRows.shareLive(w.tx, customerId))) customerId = null;
      w.audit({
        eventType: 'customer.login.failed',
        severity: AuditSeverity.WARN,
        customerId,
        resourceId: customerId,
        operation: 'login',
        metadata: { reason },
      });
      if (lockedUntil && customerId) {
        w.audit({
          eventType: 'customer.account.locked',
          severity: AuditSeverity.ERROR,
          customerId,
          resourceId: customerId,
          operation: 'lock',
          newValues: { lockedUntil },
        });
        w.emit({ type: 'customer.account_locked', customerId, data: { customerId, lockedUntil: lockedUntil.toISOString() } });
      }
    });
  }

  private async issueVerification(w: UnitOfWork, customer: CustomerRecord): Promise<void> {
    const { token, expiresAt } = await oneTimeTokens.issue(w.tx, customer.id, 'EMAIL_VERIFICATION', customer.email);
    w.audit({ eventType: 'customer.email.verification_requested', customerId: customer.id, resourceId: customer.id, operation: 'request' });
    // The notification service reads the address with its SERVICE token: events carry ids, not personal values.
    w.emit({ type: 'customer.verification_requested', customerId: customer.id, data: { customerId: customer.id, token, expiresAt: expiresAt.toISOString() } });
  }

  private signedIn(customer: CustomerRecord, session: { id: string; expiresAt: Date }): AuthResult {
    return {
      accessToken: this.deps.issuer.issue(customer.id, session.id, session.expiresAt),
      expiresAt: session.expiresAt,
      customer,
      twoFactorRequired: false,
      viewer: { kind: 'customer', customerId: customer.id, sessionId: session.id },
    };
  }
}

/** The token's `iat` in ms, or -Infinity without one (then no factor predates it). */
function issuedAt(actor: Actor): number {
  return actor.viewer.kind === 'anonymous' ? -Infinity : (actor.viewer.issuedAt ?? -Infinity);
}

function lockedError(until: Date): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new DomainError('ACCOUNT_LOCKED', `Too many failed sign-ins; the account is locked for ${retryAfterSeconds} s`, undefined, {
    retryAfterSeconds,
  });
}
