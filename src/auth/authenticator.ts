import { DomainError } from '../errors/domain-error';
import type { TokenVerifier } from './jwt';
import type { SessionStore } from './sessions';
import type { Viewer } from './viewer';

/**
 * The request's Viewer: the token's signature and claims (TokenVerifier), then, for tokens
 * bound to a session, whether that session is still live. Tokens without `sid` (minted by
 * the platform's auth service) are checked on signature and expiry alone (DESIGN.md).
 */
export class Authenticator {
  constructor(
    private readonly tokens: TokenVerifier,
    private readonly sessions: SessionStore,
  ) {}

  async viewerFor(header: string | undefined): Promise<Viewer> {
    const viewer = this.tokens.viewerFor(header);
    if (viewer.kind === 'anonymous' || viewer.sessionId === null) return viewer;
    const owner = viewer.kind === 'customer' ? viewer.customerId : null;
    // Sessions belong to customers; a staff token naming one names a session we never issued.
    if (owner === null || !(await this.sessions.isLive(viewer.sessionId, owner))) {
      throw new DomainError('UNAUTHENTICATED', 'The session of this token has ended; sign in again');
    }
    return viewer;
  }
}
