import { AuditSeverity } from '../../common/enums';
import { isUuid } from '../../common/ids';
import type { SecretBox } from '../../auth/secret-box';
import { looksLikeRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, normaliseCode, totpUri } from '../../auth/totp';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { AuditEntry, Transactor, UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';
import { CustomerRepository } from '../customer/customer.repository';
import { AuthRepository, FactorRow } from './auth.repository';

export interface TwoFactorSettings {
  enabled: boolean;
  issuer: string;
  maxAttempts: number;
  lockSeconds: number;
}

/** What checking one code found. Failures are counted (and committed) before the caller answers. */
export type CodeCheck = { ok: true; via: 'totp' | 'recovery' } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; until: Date };

const authRows = new AuthRepository();
const customerRows = new CustomerRepository();

/**
 * TOTP two-factor (RFC 6238). Every check is real and counted: codes are matched with
 * otplib within one step either side, a step once accepted is never accepted again (stored
 * as last_used_step), recovery codes work once, and maxAttempts wrong codes lock
 * verification for lockSeconds. Each check runs under a row lock on the customer's factor,
 * so two requests cannot both spend one code.
 */
export class TwoFactorService {
  constructor(
    private readonly db: Queryable,
    private readonly work: Transactor,
    private readonly secrets: SecretBox,
    private readonly settings: TwoFactorSettings,
  ) {}

  /** A new secret and its otpauth:// URI; two-factor stays off until `confirm`. */
  async enable(customerId: string, actor: Actor): Promise<{ secret: string; otpauthUri: string }> {
    this.requireFeature();
    return this.work.run(actor, async (w) => {
      const customer = await lockOwner(w.tx, customerId);
      if (customer.twoFactorEnabled) throw DomainError.badInput('customerId', 'two-factor authentication is already on');
      const secret = newTotpSecret();
      await authRows.putPendingFactor(w.tx, customerId, this.secrets.encrypt(secret, customerId));
      await authRows.deleteRecoveryCodes(w.tx, customerId);
      auditFactor(w, customerId, 'customer.2fa.setup', { operation: 'update' });
      return { secret, otpauthUri: totpUri(this.settings.issuer, customer.email, secret) };
    });
  }

  /** A valid code from the new secret turns two-factor on; answers ten recovery codes, shown once. */
  async confirm(customerId: string, code: string, actor: Actor): Promise<string[]> {
    this.requireFeature();
    const outcome = await this.work.run(actor, async (w) => {
      await lockOwner(w.tx, customerId);
      const factor = await lockFactor(w.tx, customerId);
      if (!factor) throw DomainError.badInput('customerId', 'call enableTwoFactor first');
      if (factor.confirmed) throw DomainError.badInput('customerId', 'two-factor authentication is already on');
      const check = await this.check(w, customerId, factor, code, false);
      if (!check.ok) return { check, codes: [] };
      const codes = newRecoveryCodes();
      await authRows.insertRecoveryCodes(
        w.tx,
        customerId,
        codes.map((c) => this.secrets.mac(normaliseCode(c))),
      );
      await authRows.confirmFactor(w.tx, customerId);
      await switchTwoFactor(w, customerId, true);
      return { check, codes };
    });
    failOn(outcome.check);
    return outcome.codes;
  }

  /** True only for a valid code not used before; a wrong code answers false (and counts). */
  async verify(customerId: string, code: string, actor: Actor): Promise<boolean> {
    this.requireFeature();
    const check = await this.work.run(actor, async (w) => {
      const factor = await lockFactor(w.tx, customerId);
      if (!factor?.confirmed) throw DomainError.badInput('customerId', 'two-factor authentication is not on');
      return this.check(w, customerId, factor, code, true);
    });
    if (!check.ok && check.reason === 'locked') failOn(check);
    return check.ok;
  }

  async disable(customerId: string, code: string, actor: Actor): Promise<boolean> {
    this.requireFeature();
    const check = await this.work.run(actor, async (w) => {
      await lockOwner(w.tx, customerId);
      const factor = await lockFactor(w.tx, customerId);
      if (!factor?.confirmed) throw DomainError.badInput('customerId', 'two-factor authentication is not on');
      const result = await this.check(w, customerId, factor, code, true);
      if (!result.ok) return result;
      await authRows.deleteRecoveryCodes(w.tx, customerId);
      await authRows.deleteFactor(w.tx, customerId);
      await switchTwoFactor(w, customerId, false);
      return result;
    });
    failOn(check);
    return true;
  }

  /**
   * The second factor of a login (TOTP or recovery code). Checked even when the feature is
   * switched off by configuration: turning the feature off must not weaken accounts that
   * already rely on it.
   */
  async checkForLogin(customerId: string, code: string, actor: Actor): Promise<CodeCheck> {
    return this.work.run(actor, async (w) => {
      const factor = await lockFactor(w.tx, customerId);
      if (!factor?.confirmed) return { ok: false, reason: 'invalid' } as const;
      return this.check(w, customerId, factor, code, true);
    });
  }

  /**
   * Whether a code would pass, changing nothing: not counted, not spent. For a login past a
   * lockout, which must not let anyone who merely knows the email lock the owner's factor;
   * the code is spent (checkForLogin) only once the password has matched too. Asked with the
   * same statement for a customer without a factor (null), so both take as long.
   */
  async peek(customerId: string | null, code: string): Promise<boolean> {
    const typed = normaliseCode(code);
    const factor = await authRows.peekFactor(this.db, customerId, this.secrets.mac(typed));
    if (!factor?.confirmed || factor.locked || !customerId) return false;
    if (factor.recoveryMatch && looksLikeRecoveryCode(typed)) return true;
    return (await matchTotp(this.secrets.decrypt(factor.secretCiphertext, customerId), typed, factor.lastUsedStep)) !== null;
  }

  private async check(w: UnitOfWork, customerId: string, factor: FactorRow, code: string, allowRecovery: boolean): Promise<CodeCheck> {
    if (factor.locked) return { ok: false, reason: 'locked', until: factor.lockedUntil as Date };
    const typed = normaliseCode(code);
    const step = await matchTotp(this.secrets.decrypt(factor.secretCiphertext, customerId), typed, factor.lastUsedStep);
    if (step !== null) {
      await authRows.acceptStep(w.tx, customerId, step);
      auditFactor(w, customerId, 'customer.2fa.verify', { metadata: { method: 'totp' } });
      return { ok: true, via: 'totp' };
    }
    if (allowRecovery && looksLikeRecoveryCode(typed)) {
      const remaining = await authRows.spendRecoveryCode(w.tx, customerId, this.secrets.mac(typed));
      if (remaining !== null) {
        await authRows.clearFactorFailures(w.tx, customerId);
        auditFactor(w, customerId, 'customer.2fa.recovery_code_used', { severity: AuditSeverity.WARN, metadata: { remainingRecoveryCodes: remaining } });
        return { ok: true, via: 'recovery' };
      }
    }
    const lockedUntil = await authRows.factorFailed(w.tx, customerId, this.settings.maxAttempts, this.settings.lockSeconds);
    auditFactor(w, customerId, 'customer.2fa.verify_failed', { severity: AuditSeverity.WARN });
    if (lockedUntil) {
      auditFactor(w, customerId, 'customer.2fa.locked', { severity: AuditSeverity.WARN, operation: 'lock', newValues: { lockedUntil } });
    }
    return { ok: false, reason: 'invalid' };
  }

  requireFeature(): void {
    if (!this.settings.enabled) {
      throw new DomainError('FORBIDDEN', 'Two-factor authentication is turned off on this service (CUSTOMER_ENABLE_2FA=false)');
    }
  }
}

/** Turns a failed check into the client's error, after the attempt was committed. */
export function failOn(check: CodeCheck): void {
  if (check.ok) return;
  if (check.reason === 'locked') {
    const retryAfterSeconds = Math.max(1, Math.ceil((check.until.getTime() - Date.now()) / 1000));
    throw new DomainError('RATE_LIMITED', `Too many wrong codes; two-factor verification is locked for ${retryAfterSeconds} s`, undefined, {
      retryAfterSeconds,
    });
  }
  throw new DomainError('INVALID_TWO_FACTOR_CODE', 'The code is not valid');
}

/** A two-factor audit row: about the customer, on the customer; a check unless said otherwise. Never a secret or a code. */
function auditFactor(w: UnitOfWork, customerId: string, eventType: string, entry: Partial<AuditEntry> = {}): void {
  w.audit({ operation: 'verify', ...entry, eventType, customerId, resourceId: customerId });
}

/** The customer's flag, its audit row and its change event. */
async function switchTwoFactor(w: UnitOfWork, customerId: string, on: boolean): Promise<void> {
  await customerRows.setTwoFactorEnabled(w.tx, customerId, on);
  auditFactor(w, customerId, on ? 'customer.2fa.enable' : 'customer.2fa.disable', {
    severity: on ? AuditSeverity.INFO : AuditSeverity.WARN,
    operation: 'update',
    oldValues: { twoFactorEnabled: !on },
    newValues: { twoFactorEnabled: on },
  });
  w.emit({ type: on ? 'customer.two_factor.enabled' : 'customer.two_factor.disabled', customerId, data: { customerId } });
}

async function lockOwner(tx: Queryable, customerId: string): Promise<{ email: string; twoFactorEnabled: boolean }> {
  const row = isUuid(customerId) ? await customerRows.lockLiveAccount(tx, customerId) : null;
  if (!row) throw DomainError.notFound('Customer');
  return row;
}

function lockFactor(tx: Queryable, customerId: string): Promise<FactorRow | null> {
  return authRows.lockFactor(tx, customerId);
}
