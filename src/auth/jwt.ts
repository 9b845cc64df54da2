import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { isUuid } from '../common/ids';
import { DomainError } from '../errors/domain-error';
import { ANONYMOUS, Viewer } from './viewer';

const ROLES = new Set(['CUSTOMER', 'ADMIN', 'SERVICE']);
const CACHE_SIZE = 10_000;
/** Seconds of clock difference tolerated on `exp`/`nbf` between the token's issuer and us. */
export const CLOCK_TOLERANCE_SECONDS = 2;

/**
 * Turns an `Authorization` header into a Viewer. No header: anonymous. A header that is
 * present but not a valid HS256 token of ours: UNAUTHENTICATED (never silently anonymous, so
 * a client with an expired token learns it instead of seeing empty results).
 *
 * Verified tokens are remembered (bounded, evicting the oldest) until they expire: a client
 * sends the same token with every request, and checking its HMAC and claims again each time
 * was a measurable share of a request. Only successes are cached, so garbage tokens cannot
 * fill the cache.
 */
export class TokenVerifier {
  /** The key as a KeyObject: given a string, jsonwebtoken re-parses it on every verify. */
  private readonly key: KeyObject;
  private readonly verified = new Map<string, { viewer: Viewer; expiresAt: number }>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  viewerFor(header: string | undefined): Viewer {
    if (!header) return ANONYMOUS;
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!m) throw new DomainError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    const token = m[1];
    const hit = this.verified.get(token);
    if (hit) {
      if (Date.now() < hit.expiresAt) return hit.viewer;
      this.verified.delete(token);
    }
    const { viewer, expiresAt } = this.verify(token);
    if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { viewer, expiresAt });
    return viewer;
  }

  private verify(token: string): { viewer: Viewer; expiresAt: number } {
    let claims: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_SECONDS });
      if (typeof decoded === 'string') throw new Error('not a JSON payload');
      claims = decoded;
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new DomainError('UNAUTHENTICATED', expired ? 'The token has expired' : 'The token is invalid');
    }
    const { sub, role, sid, exp, iat } = claims as { sub?: unknown; role?: unknown; sid?: unknown; exp?: unknown; iat?: unknown };
    if (typeof exp !== 'number') throw new DomainError('UNAUTHENTICATED', 'The token has no expiry (exp)');
    if (typeof sub !== 'string' || typeof role !== 'string' || !ROLES.has(role) || (sid !== undefined && typeof sid !== 'string')) {
      throw new DomainError('UNAUTHENTICATED', 'The token lacks a valid sub or role claim');
    }
    // Only the signature and claims are checked here; whether the session is still live is
    // asked of the database on every request (Authenticator), so a logout counts at once.
    if (sid !== undefined && !isUuid(sid)) throw new DomainError('UNAUTHENTICATED', 'The token names an unknown session');
    const sessionId = sid === undefined ? null : sid.toLowerCase();
    const expiresAt = (exp + CLOCK_TOLERANCE_SECONDS) * 1000;
    const issuedAt = typeof iat === 'number' ? iat * 1000 : undefined;
    if (role === 'CUSTOMER') {
      if (!isUuid(sub)) throw new DomainError('UNAUTHENTICATED', 'A customer token must carry the customer id as sub');
      return { viewer: { kind: 'customer', customerId: sub.toLowerCase(), sessionId, expiresAt, issuedAt }, expiresAt };
    }
    return { viewer: { kind: 'staff', role: role as 'ADMIN' | 'SERVICE', subject: sub, sessionId, expiresAt, issuedAt }, expiresAt };
  }
}

/** Signs the tokens `login` and `register` hand out: role CUSTOMER, bound to a session. */
export class TokenIssuer {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  issue(customerId: string, sessionId: string, expiresAt: Date): string {
    return jwt.sign({ sub: customerId, role: 'CUSTOMER', sid: sessionId, exp: Math.floor(expiresAt.getTime() / 1000) }, this.key, {
      algorithm: 'HS256',
    });
  }
}
