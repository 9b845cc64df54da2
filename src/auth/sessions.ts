import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database';
import { AuthRepository } from '../modules/auth/auth.repository';
import type { RequestMeta } from './actor';

/**
 * Server-side sessions: every token `login`/`register` issues names one (`sid`). Revoking
 * a session refuses its token on the next request on every replica, because each request
 * asks the database (one primary-key read) rather than a per-process cache.
 */
export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly rows = new AuthRepository(),
  ) {}

  /** `id` may be chosen by the caller (so the unit of work can name the session in its audit rows). */
  create(tx: Queryable, customerId: string, ttlSeconds: number, meta: RequestMeta, id: string = randomUUID()): Promise<{ id: string; expiresAt: Date }> {
    return this.rows.createSession(tx, { id, customerId, ttlSeconds, ip: meta.ip, userAgent: meta.userAgent });
  }

  /** Live: not revoked, not expired, and its customer neither erased nor suspended. */
  isLive(sessionId: string, customerId: string): Promise<boolean> {
    return this.rows.isSessionLive(this.db, sessionId, customerId);
  }

  revoke(tx: Queryable, sessionId: string): Promise<boolean> {
    return this.rows.revokeSession(tx, sessionId);
  }

  /** Every live session of the customer except `keep` (the one making the request, if any). */
  revokeAll(tx: Queryable, customerId: string, keep: string | null = null): Promise<number> {
    return this.rows.revokeSessions(tx, customerId, keep);
  }
}
