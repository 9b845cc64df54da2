import type { Queryable } from '../../db/database';
import type { CustomerStatus } from '../../common/enums';
import { CustomerCredentialEntity, CustomerRecoveryCodeEntity, CustomerSessionEntity, CustomerTokenEntity, CustomerTwoFactorEntity } from './auth.entity';

/** A live customer with a password, as sign-in and re-authentication read it. */
export interface AccountRow {
  id: string;
  /** Lower-cased. */
  email: string;
  status: CustomerStatus;
  twoFactorEnabled: boolean;
  passwordHash: string;
}

export interface NewSession {
  /** Chosen by the caller (the unit of work names the session in its audit rows). */
  id: string;
  customerId: string;
  ttlSeconds: number;
  ip: string | null;
  userAgent: string | null;
}

export type TokenPurpose = 'EMAIL_VERIFICATION' | 'PASSWORD_RESET';

/** A customer's TOTP factor as a check reads it (the lock and confirmation by the database's clock). */
export interface FactorRow {
  secretCiphertext: Uint8Array;
  confirmed: boolean;
  lastUsedStep: number | null;
  lockedUntil: Date | null;
  locked: boolean;
}

/** What the data export shows of the account's secrets: when, never what. */
export interface AccountExport {
  account: { passwordChangedAt: Date; lastLoginAt: Date | null } | null;
  sessions: { id: string; createdAt: Date; expiresAt: Date; revokedAt: Date | null; ipAddress: string | null; userAgent: string | null }[];
  twoFactor: { enabled: boolean; enrolledAt?: Date; confirmedAt?: Date | null; recoveryCodesLeft?: number };
}

/**
 * The account's secrets: `customer_credentials`, `customer_sessions`, `customer_tokens`,
 * `customer_two_factor` and `customer_recovery_codes` (the login lockout is
 * lockout.repository.ts's). The only code that reads or writes them. Each method takes the
 * database or the unit of work's transaction (`Queryable`) and sends one statement unless it
 * says otherwise.
 *
 * Three statements read `customers` with an auth table in one go (findAccount, factorState,
 * isSessionLive): each sits on the sign-in or request path, where a second round trip to ask
 * the customer repository would cost every login or every request
 * (test/unit/repository-boundaries.test.ts, JOINED).
 */
export class AuthRepository {
  // --- credentials

  /**
   * A live customer with a password, by id or by (lower-cased) email. One statement, joined
   * with `customers`: the sign-in path, and the same statement for a known and an unknown
   * email (their timing must not differ).
   */
  async findAccount(q: Queryable, by: 'id' | 'email', value: string): Promise<AccountRow | null> {
    const [account] = await q.manager.query<AccountRow[]>(
      `SELECT c.id, lower(c.email) AS email, c.status, c.two_factor_enabled AS "twoFactorEnabled", cr.password_hash AS "passwordHash"
         FROM customers c JOIN customer_credentials cr ON cr.customer_id = c.id
        WHERE ${by === 'id' ? 'c.id = $1' : 'lower(c.email) = $1'} AND c.deleted_at IS NULL`,
      [value],
    );
    return account ?? null;
  }

  async insertCredential(tx: Queryable, customerId: string, passwordHash: string): Promise<void> {
    await tx.manager.createQueryBuilder().insert().into(CustomerCredentialEntity).values({ customerId, passwordHash }).updateEntity(false).execute();
  }

  /** The stored hash (null: no password), read again under the customer's row lock. */
  async passwordHash(tx: Queryable, customerId: string): Promise<string | null> {
    const row = await tx.manager
      .createQueryBuilder(CustomerCredentialEntity, 'cr')
      .select('cr.passwordHash', 'hash')
      .where('cr.customer_id = :customerId', { customerId })
      .getRawOne<{ hash: string }>();
    return row?.hash ?? null;
  }

  /**
   * A new password hash; the row is created for a customer who had none. SQL: the upsert
   * sets `password_changed_at` and `updated_at` to now() on conflict, which TypeORM's
   * `orUpdate` (it copies EXCLUDED values only) cannot say.
   */
  async setPasswordHash(tx: Queryable, customerId: string, passwordHash: string): Promise<void> {
    await tx.manager.query(
      `INSERT INTO customer_credentials (customer_id, password_hash) VALUES ($1, $2)
       ON CONFLICT (customer_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, password_changed_at = now(), updated_at = now()`,
      [customerId, passwordHash],
    );
  }

  async touchLastLogin(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.update(CustomerCredentialEntity, { customerId }, { lastLoginAt: () => 'now()' });
  }

  // --- sessions

  async createSession(tx: Queryable, s: NewSession): Promise<{ id: string; expiresAt: Date }> {
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CustomerSessionEntity)
      .values({ id: s.id, customerId: s.customerId, expiresAt: () => 'now() + make_interval(secs => :ttl)', ipAddress: s.ip, userAgent: s.userAgent })
      .setParameter('ttl', s.ttlSeconds)
      .returning('id, expires_at AS "expiresAt"')
      .updateEntity(false)
      .execute();
    return (res.raw as { id: string; expiresAt: Date }[])[0];
  }

  /**
   * Live: not revoked, not expired, and its customer neither erased nor suspended. Asked on
   * every request with a session token, so it stays one primary-key read joined with
   * `customers`, sent by the Database itself (`q.query`) rather than through TypeORM:
   * `manager.query` cost some 30 µs more CPU per call here (measured: 58-62 against
   * 90-100 µs), on every authenticated request.
   */
  async isSessionLive(q: Queryable, sessionId: string, customerId: string): Promise<boolean> {
    const rows = await q.query(
      `SELECT 1 FROM customer_sessions s JOIN customers c ON c.id = s.customer_id
        WHERE s.id = $1 AND s.customer_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND c.deleted_at IS NULL AND c.status <> 'SUSPENDED'`,
      [sessionId, customerId],
    );
    return rows.length > 0;
  }

  /** False when the session was revoked already (or never existed). */
  async revokeSession(tx: Queryable, sessionId: string): Promise<boolean> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerSessionEntity)
      .set({ revokedAt: () => 'now()' })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /** Revokes every live session of the customer except `keep` (when not null); how many. */
  async revokeSessions(tx: Queryable, customerId: string, keep: string | null): Promise<number> {
    const res = await tx.manager
      .createQueryBuilder()
      .update(CustomerSessionEntity)
      .set({ revokedAt: () => 'now()' })
      .where('customer_id = :customerId AND revoked_at IS NULL AND (:keep::uuid IS NULL OR id <> :keep::uuid)', { customerId, keep })
      .execute();
    return res.affected ?? 0;
  }

  // --- email and password tokens (only their SHA-256 is stored)

  /** Deletes the customer's tokens of that purpose (issuing one voids the older ones). */
  /** The customer's tokens of that purpose, or of every purpose. */
  async deleteTokens(tx: Queryable, customerId: string, purpose?: TokenPurpose): Promise<void> {
    const qb = tx.manager.createQueryBuilder().delete().from(CustomerTokenEntity).where('customer_id = :customerId', { customerId });
    if (purpose) qb.andWhere('purpose = :purpose', { purpose });
    await qb.execute();
  }

  /** A new token's hash; answers when it expires (by the database's clock). */
  async insertToken(
    tx: Queryable,
    t: { customerId: string; purpose: TokenPurpose; tokenHash: Buffer; email: string | null; ttlSeconds: number },
  ): Promise<Date> {
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CustomerTokenEntity)
      .values({
        customerId: t.customerId,
        purpose: t.purpose,
        tokenHash: t.tokenHash,
        email: t.email,
        expiresAt: () => 'now() + make_interval(secs => :ttl)',
      })
      .setParameter('ttl', t.ttlSeconds)
      .returning('expires_at AS "expiresAt"')
      .updateEntity(false)
      .execute();
    return (res.raw as { expiresAt: Date }[])[0].expiresAt;
  }

  /**
   * Deletes the token (single use: of two concurrent consumers, one gets the row) and answers
   * whom it was for and whether it was still live; null when no token has that hash.
   */
  async takeToken(tx: Queryable, purpose: TokenPurpose, tokenHash: Buffer): Promise<{ customerId: string; email: string | null; live: boolean } | null> {
    const res = await tx.manager
      .createQueryBuilder()
      .delete()
      .from(CustomerTokenEntity)
      .where('token_hash = :tokenHash AND purpose = :purpose', { tokenHash, purpose })
      .returning('customer_id AS "customerId", email, expires_at > now() AS live')
      .execute();
    return (res.raw as { customerId: string; email: string | null; live: boolean }[])[0] ?? null;
  }

  // --- two-factor

  /**
   * Whether the customer has two-factor on, and whether their factor was confirmed before the
   * token's session was opened (`sessionId`), or for a token without a session before its
   * `iat` (`issuedAtMs`, never later than now). One statement over `customers`, the factor and
   * the session: re-authentication asks it before every password or code it checks.
   */
  async factorState(
    q: Queryable,
    customerId: string,
    issuedAtMs: number,
    sessionId: string | null,
  ): Promise<{ enabled: boolean; predatesToken: boolean } | null> {
    const [factor] = await q.manager.query<{ enabled: boolean; predatesToken: boolean }[]>(
      `SELECT c.two_factor_enabled AS enabled,
              coalesce(f.confirmed_at < CASE WHEN $3::uuid IS NOT NULL
                                             THEN (SELECT s.created_at FROM customer_sessions s WHERE s.id = $3::uuid)
                                             ELSE least(to_timestamp($2::float8 / 1000), now()) END, false) AS "predatesToken"
         FROM customers c LEFT JOIN customer_two_factor f ON f.customer_id = c.id WHERE c.id = $1`,
      [customerId, issuedAtMs, sessionId],
    );
    return factor ?? null;
  }

  /**
   * A new, unconfirmed secret (an earlier one, confirmed or not, is replaced and its state
   * reset). SQL: the upsert resets columns to values other than the inserted ones, which
   * TypeORM's `orUpdate` (EXCLUDED values only) cannot say.
   */
  async putPendingFactor(tx: Queryable, customerId: string, secretCiphertext: Buffer): Promise<void> {
    await tx.manager.query(
      `INSERT INTO customer_two_factor (customer_id, secret_ciphertext) VALUES ($1, $2)
       ON CONFLICT (customer_id) DO UPDATE
          SET secret_ciphertext = EXCLUDED.secret_ciphertext, confirmed_at = NULL, last_used_step = NULL,
              failed_attempts = 0, locked_until = NULL, updated_at = now()`,
      [customerId, secretCiphertext],
    );
  }

  /** The factor with its row locked (FOR UPDATE) until the transaction ends: two checks cannot both spend one code. */
  async lockFactor(tx: Queryable, customerId: string): Promise<FactorRow | null> {
    const row = await tx.manager
      .createQueryBuilder(CustomerTwoFactorEntity, 'f')
      .select('f.secretCiphertext', 'secretCiphertext')
      .addSelect('f.confirmed_at IS NOT NULL', 'confirmed')
      .addSelect('f.last_used_step::int', 'lastUsedStep')
      .addSelect('f.lockedUntil', 'lockedUntil')
      .addSelect('coalesce(f.locked_until > now(), false)', 'locked')
      .where('f.customer_id = :customerId', { customerId })
      .setLock('pessimistic_write')
      .getRawOne<FactorRow>();
    return row ?? null;
  }

  /**
   * The factor without a lock, and whether an unused recovery code has this hash, in one
   * statement. Asked with the same statement for a customer without a factor (null), so both
   * take as long.
   */
  async peekFactor(q: Queryable, customerId: string | null, codeHash: Buffer): Promise<(FactorRow & { recoveryMatch: boolean }) | null> {
    const row = await q.manager
      .createQueryBuilder(CustomerTwoFactorEntity, 'f')
      .select('f.secretCiphertext', 'secretCiphertext')
      .addSelect('f.confirmed_at IS NOT NULL', 'confirmed')
      .addSelect('f.last_used_step::int', 'lastUsedStep')
      .addSelect('coalesce(f.locked_until > now(), false)', 'locked')
      .addSelect(
        'EXISTS (SELECT 1 FROM customer_recovery_codes r WHERE r.customer_id = f.customer_id AND r.code_hash = :codeHash AND r.used_at IS NULL)',
        'recoveryMatch',
      )
      .where('f.customer_id = :customerId', { customerId, codeHash })
      .getRawOne<FactorRow & { recoveryMatch: boolean }>();
    return row ?? null;
  }

  async confirmFactor(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.update(CustomerTwoFactorEntity, { customerId }, { confirmedAt: () => 'now()', updatedAt: () => 'now()' });
  }

  /** A TOTP code of time step `step` was accepted: no code of it or an earlier step works again; the failures are forgotten. */
  async acceptStep(tx: Queryable, customerId: string, step: number): Promise<void> {
    await tx.manager.update(
      CustomerTwoFactorEntity,
      { customerId },
      { lastUsedStep: String(step), failedAttempts: 0, lockedUntil: null, updatedAt: () => 'now()' },
    );
  }

  /** A recovery code was accepted: the failures are forgotten. */
  async clearFactorFailures(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.update(CustomerTwoFactorEntity, { customerId }, { failedAttempts: 0, lockedUntil: null, updatedAt: () => 'now()' });
  }

  /**
   * A wrong code: counted, and the one that reaches `maxAttempts` locks verification for
   * `lockSeconds` (and starts the count again). Answers the lock it set, if it did. SQL: the
   * count and the lock are decided from the row's own value in one atomic UPDATE, so
   * concurrent wrong codes cannot lose a count.
   */
  async factorFailed(tx: Queryable, customerId: string, maxAttempts: number, lockSeconds: number): Promise<Date | null> {
    // manager.query answers an UPDATE as [rows, rowCount] (TypeORM's postgres driver).
    const [[after]] = await tx.manager.query<[{ lockedUntil: Date | null }[], number]>(
      `UPDATE customer_two_factor
          SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
              locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE NULL END,
              updated_at = now()
        WHERE customer_id = $1 RETURNING locked_until AS "lockedUntil"`,
      [customerId, maxAttempts, lockSeconds],
    );
    return after?.lockedUntil ?? null;
  }

  async deleteFactor(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.createQueryBuilder().delete().from(CustomerTwoFactorEntity).where('customer_id = :customerId', { customerId }).execute();
  }

  // --- recovery codes (stored as HMACs)

  /** One statement for all of them. */
  async insertRecoveryCodes(tx: Queryable, customerId: string, codeHashes: readonly Buffer[]): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(CustomerRecoveryCodeEntity)
      .values(codeHashes.map((codeHash) => ({ customerId, codeHash })))
      .updateEntity(false)
      .execute();
  }

  async deleteRecoveryCodes(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.createQueryBuilder().delete().from(CustomerRecoveryCodeEntity).where('customer_id = :customerId', { customerId }).execute();
  }

  /**
   * Spends the unused recovery code with this hash, if there is one, and answers how many
   * unused ones are left after it; null when none matched (unknown or used already). SQL: the
   * spending UPDATE and the count of what is left are one statement (a CTE), and of two
   * concurrent uses of one code only one finds it unused.
   */
  async spendRecoveryCode(tx: Queryable, customerId: string, codeHash: Buffer): Promise<number | null> {
    const [used] = await tx.manager.query<{ remaining: number }[]>(
      `WITH spent AS (
         UPDATE customer_recovery_codes SET used_at = now()
          WHERE customer_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash)
       SELECT (SELECT count(*)::int FROM customer_recovery_codes WHERE customer_id = $1 AND used_at IS NULL) - 1 AS remaining
         FROM spent`,
      [customerId, codeHash],
    );
    return used ? used.remaining : null;
  }

  // --- GDPR

  /**
   * Erasure: every secret of the customer removed (sessions, tokens, recovery codes, the
   * factor, the password), one DELETE each, in this order. The lockout of their email is
   * forgotten by the lockout (keyed by the email, not the customer).
   */
  async erasePersonal(tx: Queryable, customerId: string): Promise<void> {
    for (const entity of [CustomerSessionEntity, CustomerTokenEntity, CustomerRecoveryCodeEntity, CustomerTwoFactorEntity, CustomerCredentialEntity]) {
      await tx.manager.createQueryBuilder().delete().from(entity).where('customer_id = :customerId', { customerId }).execute();
    }
  }

  /**
   * The export's `account`, `sessions` and `twoFactor` (three statements): when the password
   * was changed and last used, the sessions without their tokens (never stored), two-factor
   * without its secret.
   */
  async exportPersonal(q: Queryable, customerId: string): Promise<AccountExport> {
    const account = await q.manager
      .createQueryBuilder(CustomerCredentialEntity, 'cr')
      .select('cr.passwordChangedAt', 'passwordChangedAt')
      .addSelect('cr.lastLoginAt', 'lastLoginAt')
      .where('cr.customer_id = :customerId', { customerId })
      .getRawOne<NonNullable<AccountExport['account']>>();
    const sessions = await q.manager
      .createQueryBuilder(CustomerSessionEntity, 's')
      .select('s.id', 'id')
      .addSelect('s.createdAt', 'createdAt')
      .addSelect('s.expiresAt', 'expiresAt')
      .addSelect('s.revokedAt', 'revokedAt')
      .addSelect('host(s.ip_address)', 'ipAddress')
      .addSelect('s.userAgent', 'userAgent')
      .where('s.customer_id = :customerId', { customerId })
      .orderBy('s.created_at')
      .addOrderBy('s.id')
      .getRawMany<AccountExport['sessions'][number]>();
    const twoFactor = await q.manager
      .createQueryBuilder(CustomerTwoFactorEntity, 'f')
      .select('f.confirmed_at IS NOT NULL', 'enabled')
      .addSelect('f.createdAt', 'enrolledAt')
      .addSelect('f.confirmedAt', 'confirmedAt')
      .addSelect('(SELECT count(*)::int FROM customer_recovery_codes r WHERE r.customer_id = f.customer_id AND r.used_at IS NULL)', 'recoveryCodesLeft')
      .where('f.customer_id = :customerId', { customerId })
      .getRawOne<AccountExport['twoFactor']>();
    return { account: account ?? null, sessions, twoFactor: twoFactor ?? { enabled: false } };
  }
}
