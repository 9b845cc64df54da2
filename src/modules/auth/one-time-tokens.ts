import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database';

export type TokenPurpose = 'EMAIL_VERIFICATION' | 'PASSWORD_RESET';

export const TOKEN_TTL_SECONDS: Record<TokenPurpose, number> = {
  EMAIL_VERIFICATION: 24 * 3600,
  PASSWORD_RESET: 3600,
};

/** 256 random bits: a plain SHA-256 is enough to store them (nothing to brute-force). */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Email verification and password reset tokens: random, stored only as hashes, single use,
 * expiring. Issuing one deletes the customer's earlier tokens of that purpose.
 */
export const oneTimeTokens = {
  async issue(tx: Queryable, customerId: string, purpose: TokenPurpose, email: string | null): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    await tx.query('DELETE FROM customer_tokens WHERE customer_id = $1 AND purpose = $2', [customerId, purpose]);
    const [row] = await tx.query<{ expiresAt: Date }>(
      `INSERT INTO customer_tokens (customer_id, purpose, token_hash, email, expires_at)
       VALUES ($1, $2, decode($3, 'hex'), $4, now() + make_interval(secs => $5)) RETURNING expires_at AS "expiresAt"`,
      [customerId, purpose, digest(token), email, TOKEN_TTL_SECONDS[purpose]],
    );
    return { token, expiresAt: row.expiresAt };
  },

  /** Deletes the token (single use) and answers whom it was for, or null when unknown or expired. */
  async consume(tx: Queryable, purpose: TokenPurpose, token: string): Promise<{ customerId: string; email: string | null } | null> {
    if (token.length > 200) return null;
    const [row] = await tx.query<{ customerId: string; email: string | null; live: boolean }>(
      `DELETE FROM customer_tokens WHERE token_hash = decode($1, 'hex') AND purpose = $2
       RETURNING customer_id AS "customerId", email, expires_at > now() AS live`,
      [digest(token), purpose],
    );
    return row?.live ? { customerId: row.customerId, email: row.email } : null;
  },
};
