import { randomUUID } from 'node:crypto';
import type { AuthConfig } from '../../config/config';
import type { TokenIssuer } from '../../auth/jwt';
import { checkNewPassword, PasswordHasher } from '../../auth/passwords';
import type { IpRateLimiter } from '../../auth/rate-limit';
import type { SessionStore } from '../../auth/sessions';
import type { Viewer } from '../../auth/viewer';
import { AuditSeverity, CustomerStatus, RegistrationSource } from '../../common/enums';
import type { Database } from '../../db/database';
import { lockCustomer, lockLiveCustomer } from '../../db/locks';
import { Actor, Transactor, UnitOfWork } from '../../db/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { CUSTOMER_COLUMNS, CustomerRecord } from '../customer/customer.entity';
import type { CustomerService, NewCustomer } from '../customer/customer.service';
import { Lockout } from './lockout';
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
}

interface Account {
  id: string;
  status: CustomerStatus;
  twoFactorEnabled: boolean;
  passwordHash: string;
}

const INVALID_CREDENTIALS = () => new DomainError('INVALID_CREDENTIALS', 'The email or password is not correct');

/**
 * Registration, sign-in and the account's secrets (passwords, sessions, email and password
 * tokens). The rules, in the order they apply to a login:
 *
 * 1. the client IP takes one attempt from its allowance (RATE_LIMITED beyond);
 * 2. an unknown email costs one bcrypt compare like a known one, then INVALID_CREDENTIALS;
 * 3. the attempt is charged to the account's lockout counter *before* the compare;
 * 4. a correct password clears the counter; a two-factor account then needs its code;
 * 5. a session row is written and a token naming it (`sid`) is signed.
 *
 * Failed attempts are audited in their own transaction, so they stay recorded although the
 * operation answers an error.
 */
export class AccountService {
  private readonly lockout: Lockout;

  constructor(private readonly deps: AccountDeps) {
    this.lockout = new Lockout(deps.db, deps.settings);
  }

  async register(input: NewCustomer & { password: string }, actor: Actor): Promise<AuthResult> {
    checkNewPassword('input.password', input.password);
    const { work, customers, sessions, limiter, hasher, settings } = this.deps;
    await limiter.consume(actor.meta.ip);
    const passwordHash = await hasher.hash(input.password);
    const { password: _secret, ...profile } = input;
    const { customer, session } = await work.run(actor, async (w) => {
      const customer = await customers.insert(w, { ...profile, registrationSource: input.registrationSource ?? RegistrationSource.WEBSITE });
      await w.tx.query('INSERT INTO customer_credentials (customer_id, password_hash) VALUES ($1, $2)', [customer.id, passwordHash]);
      const session = await sessions.create(w.tx, customer.id, settings.sessionTtlSeconds, actor.meta);
      await this.issueVerification(w, customer);
      return { customer, session };
    });
    return this.signedIn(customer, session);
  }

  async login(email: string, password: string, code: string | null | undefined, actor: Actor): Promise<AuthResult> {
    const { hasher, limiter, twoFactor, work, sessions, settings } = this.deps;
    await limiter.consume(actor.meta.ip);
    const account = await this.findAccount('email', email);
    if (!account) {
      await hasher.burn(password);
      await this.recordFailure(actor, null, 'unknown_email');
      throw INVALID_CREDENTIALS();
    }
    await this.checkPassword(account, password, actor);
    if (account.status === CustomerStatus.SUSPENDED) {
      await this.recordFailure(actor, account.id, 'suspended');
      throw new DomainError('FORBIDDEN', 'This account is suspended');
    }
    if (account.twoFactorEnabled) {
      if (!code) {
        return { accessToken: null, expiresAt: null, customer: null, twoFactorRequired: true, viewer: null };
      }
      const check = await twoFactor.checkForLogin(account.id, code, actor);
      if (!check.ok) {
        await this.recordFailure(actor, account.id, check.reason === 'locked' ? 'two_factor_locked' : 'two_factor');
        failOn(check);
      }
    }
    // The success is recorded as the customer, in the session it opens.
    const sessionId = randomUUID();
    const signedIn: Actor = { viewer: { kind: 'customer', customerId: account.id, sessionId }, meta: actor.meta };
    const { customer, session } = await work.run(signedIn, async (w) => {
      // The customer's row lock orders this sign-in with an erasure running at the same time:
      // after it, there is no live customer and no session may be written.
      if (!(await lockLiveCustomer(w.tx, account.id))) throw INVALID_CREDENTIALS();
      await w.tx.query('UPDATE customer_credentials SET last_login_at = now() WHERE customer_id = $1', [account.id]);
      const session = await sessions.create(w.tx, account.id, settings.sessionTtlSeconds, actor.meta, sessionId);
      const [customer] = await w.tx.query<CustomerRecord>(`SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1`, [account.id]);
      w.audit({
        eventType: 'customer.login.success',
        customerId: account.id,
        resourceId: session.id,
        operation: 'login',
        metadata: { twoFactor: account.twoFactorEnabled },
      });
      return { customer, session };
    });
    await limiter.refund(actor.meta.ip);
    return this.signedIn(customer, session);
  }

  /** Revokes the session of the token used; false when the token names none. */
  async logout(actor: Actor): Promise<boolean> {
    const { viewer } = actor;
    if (viewer.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'Authentication required');
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
      const [customer] = await w.tx.query<CustomerRecord>(`SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1`, [customerId]);
      if (customer.emailVerified) return false;
      await this.issueVerification(w, customer);
      return true;
    });
  }

  async verifyEmail(token: string, actor: Actor): Promise<CustomerRecord> {
    await this.deps.limiter.consume(actor.meta.ip);
    return this.deps.work.run(actor, async (w) => {
      const found = await oneTimeTokens.consume(w.tx, 'EMAIL_VERIFICATION', token);
      const [customer] = found
        ? await w.tx.query<CustomerRecord>(
            `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.deleted_at IS NULL FOR NO KEY UPDATE`,
            [found.customerId],
          )
        : [];
      // A token sent to an address the customer no longer has proves nothing.
      if (!customer || customer.email !== found?.email) throw DomainError.badInput('token', 'is invalid or has expired');
      if (customer.emailVerified) return customer;
      const [row] = await w.tx.query<CustomerRecord>(
        `UPDATE customers AS c SET email_verified = true, updated_at = now() WHERE c.id = $1 RETURNING ${CUSTOMER_COLUMNS}`,
        [customer.id],
      );
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

  /** Always true: whether the email exists is not told. Customers without a password may set one this way. */
  async requestPasswordReset(email: string, actor: Actor): Promise<true> {
    await this.deps.limiter.consume(actor.meta.ip);
    email = email.trim().toLowerCase();
    const [customer] = await this.deps.db.query<{ id: string; email: string }>(
      `SELECT id, email FROM customers WHERE lower(email) = $1 AND deleted_at IS NULL AND status <> 'SUSPENDED'`,
      [email],
    );
    if (!customer) return true;
    await this.deps.work.run(actor, async (w) => {
      // Erased since the look-up: no token may outlive the erasure.
      if (!(await lockLiveCustomer(w.tx, customer.id))) return;
      const { token, expiresAt } = await oneTimeTokens.issue(w.tx, customer.id, 'PASSWORD_RESET', customer.email);
      w.audit({ eventType: 'customer.password.reset_requested', customerId: customer.id, resourceId: customer.id, operation: 'request' });
      // For the notification service, which mails the link; the token is in no audit row or log.
      w.emit({ type: 'customer.password_reset_requested', customerId: customer.id, data: { customerId: customer.id, token, expiresAt: expiresAt.toISOString() } });
    });
    return true;
  }

  /** Sets a new password from a reset token and ends every session of the customer. */
  async resetPassword(token: string, newPassword: string, actor: Actor): Promise<true> {
    checkNewPassword('newPassword', newPassword);
    await this.deps.limiter.consume(actor.meta.ip);
    const passwordHash = await this.deps.hasher.hash(newPassword);
    await this.deps.work.run(actor, async (w) => {
      const found = await oneTimeTokens.consume(w.tx, 'PASSWORD_RESET', token);
      if (!found) throw DomainError.badInput('token', 'is invalid or has expired');
      const [customer] = await w.tx.query<{ email: string }>(
        'SELECT email FROM customers WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE',
        [found.customerId],
      );
      // A link sent to an address the customer no longer has must not take over the account.
      if (!customer || customer.email !== found.email) throw DomainError.badInput('token', 'is invalid or has expired');
      await this.setPassword(w, found.customerId, passwordHash, null, 'customer.password.reset');
    });
    return true;
  }

  /** The signed-in customer's own password; their other sessions end, this one stays. */
  async changePassword(currentPassword: string, newPassword: string, actor: Actor): Promise<true> {
    const { viewer } = actor;
    if (viewer.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'Authentication required');
    if (viewer.kind !== 'customer') throw new DomainError('FORBIDDEN', 'Only a signed-in customer can change their password');
    checkNewPassword('newPassword', newPassword);
    const { hasher, work } = this.deps;
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
      await this.setPassword(w, account.id, passwordHash, viewer.sessionId, 'customer.password.change');
    });
    return true;
  }

  /**
   * Asks a signed-in customer to prove it again before something irreversible (erasing their
   * account): their password, or a two-factor code when two-factor is on. Wrong passwords count
   * towards the lockout, wrong codes towards the two-factor lock, like at login. A customer
   * with neither (created by the back office, signed in by the platform's auth service) has
   * nothing to re-enter.
   */
  async confirmIdentity(
    customerId: string,
    password: string | null | undefined,
    code: string | null | undefined,
    actor: Actor,
    { field = 'password', requireFactor = false } = {},
  ): Promise<void> {
    const account = await this.findAccount('id', customerId);
    // findAccount already carries the flag; only a customer without a password needs asking.
    const twoFactor = account
      ? account.twoFactorEnabled
      : (await this.deps.db.query<{ enabled: boolean }>('SELECT two_factor_enabled AS enabled FROM customers WHERE id = $1', [customerId]))[0]?.enabled === true;
    if (password && account) return this.checkPassword(account, password, actor);
    if (code && twoFactor) return failOn(await this.deps.twoFactor.checkForLogin(customerId, code, actor));
    if (!account && !twoFactor) {
      // Nothing to re-enter: fine for erasure, not for what would hand the account to whoever
      // holds the session (a change of email, then a reset sent to the new address).
      if (!requireFactor) return;
      throw new DomainError('FORBIDDEN', 'Set a password first (requestPasswordReset) to change this yourself, or ask support');
    }
    throw DomainError.badInput(field, twoFactor ? 'enter your password or a two-factor code to confirm' : 'enter your password to confirm');
  }

  /** A live customer with a password, by id or by (normalised) email. */
  private async findAccount(by: 'id' | 'email', value: string): Promise<Account | null> {
    const [account] = await this.deps.db.query<Account>(
      `SELECT c.id, c.status, c.two_factor_enabled AS "twoFactorEnabled", cr.password_hash AS "passwordHash"
         FROM customers c JOIN customer_credentials cr ON cr.customer_id = c.id
        WHERE ${by === 'id' ? 'c.id = $1' : 'lower(c.email) = $1'} AND c.deleted_at IS NULL`,
      [value],
    );
    return account ?? null;
  }

  /**
   * A new password hash (lockout counters cleared; the row is created for a customer who had
   * none), every session but `keep` ended, and the change recorded.
   */
  private async setPassword(w: UnitOfWork, customerId: string, passwordHash: string, keep: string | null, eventType: string): Promise<void> {
    await w.tx.query(
      `INSERT INTO customer_credentials (customer_id, password_hash) VALUES ($1, $2)
       ON CONFLICT (customer_id) DO UPDATE
          SET password_hash = EXCLUDED.password_hash, password_changed_at = now(), failed_login_count = 0,
              failure_window_start = NULL, locked_until = NULL, lockout_count = 0, updated_at = now()`,
      [customerId, passwordHash],
    );
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
   * The password check with the lockout around it: charged first, compared second, and a
   * failure recorded (with the lockout it may have started) before the error is answered.
   */
  private async checkPassword(account: Account, password: string, actor: Actor): Promise<void> {
    const charge = await this.lockout.charge(account.id);
    if (charge.kind === 'gone') throw INVALID_CREDENTIALS();
    if (charge.kind === 'locked') {
      await this.recordFailure(actor, account.id, 'locked');
      throw lockedError(charge.lockedUntil);
    }
    if (await this.deps.hasher.verify(password, account.passwordHash)) {
      // The password was right: its failures are forgotten (a second factor has its own counter).
      await this.lockout.clear(this.deps.db, account.id, charge.count);
      return;
    }
    await this.recordFailure(actor, account.id, 'wrong_password', charge.lockedNow ? charge.lockedUntil : null);
    throw INVALID_CREDENTIALS();
  }

  private async recordFailure(actor: Actor, customerId: string | null, reason: string, lockedUntil: Date | null = null): Promise<void> {
    await this.deps.work.run(actor, async (w) => {
      // A failure against a customer erased meanwhile is recorded as one against nobody: the
      // erasure has already anonymised their trail, and this row would carry IP and user agent.
      // (KEY SHARE: failures of one customer do not queue behind each other.)
      if (customerId && !(await w.tx.query('SELECT 1 FROM customers WHERE id = $1 AND deleted_at IS NULL FOR KEY SHARE', [customerId])).length) {
        customerId = null;
      }
      w.audit({ eventType: 'customer.login.failed', severity: AuditSeverity.WARN, customerId, resourceId: customerId, operation: 'login', metadata: { reason } });
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

function lockedError(until: Date): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new DomainError('ACCOUNT_LOCKED', `Too many failed sign-ins; the account is locked for ${retryAfterSeconds} s`, undefined, {
    retryAfterSeconds,
  });
}
