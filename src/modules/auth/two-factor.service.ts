import { AuditSeverity } from '../../common/enums';
import { isUuid } from '../../common/ids';
import type { SecretBox } from '../../auth/secret-box';
import { looksLikeRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, normaliseCode, totpUri } from '../../auth/totp';
import type { Queryable } from '../../db/database';
import type { Actor } from '../../auth/actor';
import { AuditEntry, Transactor, UnitOfWork } from '../../application/unit-of-work';
import { DomainError } from '../../errors/domain-error';

export interface TwoFactorSettings {
  enabled: boolean;
  issuer: string;
  maxAttempts: number;
  lockSeconds: number;
}

/** What checking one code found. Failures are counted (and committed) before the caller answers. */
export type CodeCheck = { ok: true; via: 'totp' | 'recovery' } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; until: Date };

interface FactorRow {
  secretCiphertext: Uint8Array;
  confirmed: boolean;
  lastUsedStep: number | null;
  lockedUntil: Date | null;
  locked: boolean;
}

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
      await w.tx.query(
        `INSERT INTO customer_two_factor (customer_id, secret_ciphertext) VALUES ($1, decode($2, 'hex'))
         ON CONFLICT (customer_id) DO UPDATE
            SET secret_ciphertext = EXCLUDED.secret_ciphertext, confirmed_at = NULL, last_used_step = NULL,
                failed_attempts = 0, locked_until = NULL, updated_at = now()`,
        [customerId, this.secrets.encrypt(secret, customerId).toString('hex')],
      );
      await w.tx.query('DELETE FROM customer_recovery_codes WHERE customer_id = $1', [customerId]);
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
      await w.tx.query(`INSERT INTO customer_recovery_codes (customer_id, code_hash) SELECT $1, decode(unnest($2::text[]), 'hex')`, [
        customerId,
        codes.map((c) => this.secrets.mac(normaliseCode(c)).toString('hex')),
      ]);
      await w.tx.query('UPDATE customer_two_factor SET confirmed_at = now(), updated_at = now() WHERE customer_id = $1', [customerId]);
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
      await w.tx.query('DELETE FROM customer_recovery_codes WHERE customer_id = $1', [customerId]);
      await w.tx.query('DELETE FROM customer_two_factor WHERE customer_id = $1', [customerId]);
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
    const [factor] = await this.db.query<FactorRow & { recoveryMatch: boolean }>(
      `SELECT f.secret_ciphertext AS "secretCiphertext", f.confirmed_at IS NOT NULL AS confirmed, f.last_used_step::int AS "lastUsedStep",
              coalesce(f.locked_until > now(), false) AS locked,
              EXISTS (SELECT 1 FROM customer_recovery_codes r WHERE r.customer_id = f.customer_id AND r.code_hash = $2 AND r.used_at IS NULL) AS "recoveryMatch"
         FROM customer_two_factor f WHERE f.customer_id = $1`,
      [customerId, this.secrets.mac(typed)],
    );
    if (!factor?.confirmed || factor.locked || !customerId) return false;
    if (factor.recoveryMatch && looksLikeRecoveryCode(typed)) return true;
    return (await matchTotp(this.secrets.decrypt(factor.secretCiphertext, customerId), typed, factor.lastUsedStep)) !== null;
  }

  private async check(w: UnitOfWork, customerId: string, factor: FactorRow, code: string, allowRecovery: boolean): Promise<CodeCheck> {
    if (factor.locked) return { ok: false, reason: 'locked', until: factor.lockedUntil as Date };
    const typed = normaliseCode(code);
    const step = await matchTotp(this.secrets.decrypt(factor.secretCiphertext, customerId), typed, factor.lastUsedStep);
    if (step !== null) {
      await w.tx.query(
        'UPDATE customer_two_factor SET last_used_step = $2, failed_attempts = 0, locked_until = NULL, updated_at = now() WHERE customer_id = $1',
        [customerId, step],
      );
      auditFactor(w, customerId, 'customer.2fa.verify', { metadata: { method: 'totp' } });
      return { ok: true, via: 'totp' };
    }
    if (allowRecovery && looksLikeRecoveryCode(typed)) {
      const [used] = await w.tx.query<{ remaining: number }>(
        `WITH spent AS (
           UPDATE customer_recovery_codes SET used_at = now()
            WHERE customer_id = $1 AND code_hash = decode($2, 'hex') AND used_at IS NULL RETURNING code_hash)
         SELECT (SELECT count(*)::int FROM customer_recovery_codes WHERE customer_id = $1 AND used_at IS NULL) - 1 AS remaining
           FROM spent`,
        [customerId, this.secrets.mac(typed).toString('hex')],
      );
      if (used) {
        await w.tx.query('UPDATE customer_two_factor SET failed_attempts = 0, locked_until = NULL, updated_at = now() WHERE customer_id = $1', [customerId]);
        auditFactor(w, customerId, 'customer.2fa.recovery_code_used', { severity: AuditSeverity.WARN, metadata: { remainingRecoveryCodes: used.remaining } });
        return { ok: true, via: 'recovery' };
      }
    }
    const [after] = await w.tx.query<{ lockedUntil: Date | null }>(
      `UPDATE customer_two_factor
          SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
              locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE NULL END,
              updated_at = now()
        WHERE customer_id = $1 RETURNING locked_until AS "lockedUntil"`,
      [customerId, this.settings.maxAttempts, this.settings.lockSeconds],
    );
    auditFactor(w, customerId, 'customer.2fa.verify_failed', { severity: AuditSeverity.WARN });
    if (after.lockedUntil) {
      auditFactor(w, customerId, 'customer.2fa.locked', { severity: AuditSeverity.WARN, operation: 'lock', newValues: { lockedUntil: after.lockedUntil } });
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
  await w.tx.query('UPDATE customers SET two_factor_enabled = $2, updated_at = now() WHERE id = $1', [customerId, on]);
  auditFactor(w, customerId, on ? 'customer.2fa.enable' : 'customer.2fa.disable', {
    severity: on ? AuditSeverity.INFO : AuditSeverity.WARN,
    operation: 'update',
    oldValues: { twoFactorEnabled: !on },
    newValues: { twoFactorEnabled: on },
  });
  w.emit({ type: on ? 'customer.two_factor.enabled' : 'customer.two_factor.disabled', customerId, data: { customerId } });
}

async function lockOwner(tx: Queryable, customerId: string): Promise<{ email: string; twoFactorEnabled: boolean }> {
  const [row] = isUuid(customerId)
    ? await tx.query<{ email: string; twoFactorEnabled: boolean }>(
        'SELECT email, two_factor_enabled AS "twoFactorEnabled" FROM customers WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE',
        [customerId],
      )
    : [];
  if (!row) throw DomainError.notFound('Customer');
  return row;
}

async function lockFactor(tx: Queryable, customerId: string): Promise<FactorRow | null> {
  const [row] = await tx.query<FactorRow>(
    `SELECT secret_ciphertext AS "secretCiphertext", confirmed_at IS NOT NULL AS confirmed,
            last_used_step::int AS "lastUsedStep", locked_until AS "lockedUntil",
            coalesce(locked_until > now(), false) AS locked
       FROM customer_two_factor WHERE customer_id = $1 FOR UPDATE`,
    [customerId],
  );
  return row ?? null;
}
