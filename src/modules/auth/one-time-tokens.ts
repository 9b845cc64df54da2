import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database';
import { AuthRepository, type TokenPurpose } from './auth.repository';

export type { TokenPurpose };

export const TOKEN_TTL_SECONDS: Record<TokenPurpose, number> = {
  EMAIL_VERIFICATION: 24 * 3600,
  PASSWORD_RESET: 3600,
};

/** 256 random bits: a plain SHA-256 is enough to store them (nothing to brute-force). */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

const rows = new AuthRepository();

/**
 * Email verification and password reset tokens: random, stored only as hashes, single use,
 * expiring. Issuing one deletes the customer's earlier tokens of that purpose.
 */
export const oneTimeTokens = {
  async issue(tx: Queryable, customerId: string, purpose: TokenPurpose, email: string | null): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    await rows.deleteTokens(tx, customerId, purpose);
    const expiresAt = await rows.insertToken(tx, { customerId, purpose, tokenHash: digest(token), email, ttlSeconds: TOKEN_TTL_SECONDS[purpose] });
    return { token, expiresAt };
  },

  /**
   * Voids every outstanding token of the customer: their email changed, and a link sent to the
   * old address must not work again (it was refused, but kept, and worked once the address
   * was changed back).
   */
  async voidAll(tx: Queryable, customerId: string): Promise<void> {
    await rows.deleteTokens(tx, customerId);
  },

  /** Deletes the token (single use) and answers whom it was for, or null when unknown or expired. */
  async consume(tx: Queryable, purpose: TokenPurpose, token: string): Promise<{ customerId: string; email: string | null } | null> {
    if (token.length > 200) return null;
    const row = await rows.takeToken(tx, purpose, digest(token));
    return row?.live ? { customerId: row.customerId, email: row.email } : null;
  },
};
