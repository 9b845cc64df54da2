import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database';
import type { RequestMeta } from './actor';

/**
 * Server-side sessions: every token `login`/`register` issues names one (`sid`). Revoking
 * a session refuses its token on the next request on every replica, because each request
 * asks the database (one primary-key read) rather than a per-process cache.
 */
export class SessionStore {
  constructor(private readonly db: Database) {}

  /** `id` may be chosen by the caller (so the unit of work can name the session in its audit rows). */
  async create(tx: Queryable, customerId: string, ttlSeconds: number, meta: RequestMeta, id: string = randomUUID()): Promise<{ id: string; expiresAt: Date }> {
    const [row] = await tx.query<{ id: string; expiresAt: Date }>(
      `INSERT INTO customer_sessions (id, customer_id, expires_at, ip_address, user_agent)
       VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5) RETURNING id, expires_at AS "expiresAt"`,
      [id, customerId, ttlSeconds, meta.ip, meta.userAgent],
    );
    return row;
  }

  /** Live: not revoked, not expired, and its customer neither erased nor suspended. */
  async isLive(sessionId: string, customerId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM customer_sessions s JOIN customers c ON c.id = s.customer_id
        WHERE s.id = $1 AND s.customer_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND c.deleted_at IS NULL AND c.status <> 'SUSPENDED'`,
      [sessionId, customerId],
    );
    return rows.length > 0;
  }

  async revoke(tx: Queryable, sessionId: string): Promise<boolean> {
    const rows = await tx.query('UPDATE customer_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [sessionId]);
    return rows.length > 0;
  }

  /** Every live session of the customer except `keep` (the one making the request, if any). */
  async revokeAll(tx: Queryable, customerId: string, keep: string | null = null): Promise<number> {
    const rows = await tx.query(
      `UPDATE customer_sessions SET revoked_at = now()
        WHERE customer_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid) RETURNING id`,
      [customerId, keep],
    );
    return rows.length;
  }
}
