/** Who is asking: decided once per request (or WebSocket connection) from the JWT. */
export type Role = 'CUSTOMER' | 'ADMIN' | 'SERVICE';

/** When the token behind a viewer stops being valid (ms since the epoch, clock tolerance included); absent for in-process actors. */
interface Expiring {
  expiresAt?: number;
  /** When the token was issued (its `iat`, ms since the epoch); absent when it has none. */
  issuedAt?: number;
}

export type Viewer =
  | { kind: 'anonymous' }
  | ({ kind: 'customer'; customerId: string; sessionId: string | null } & Expiring)
  | ({ kind: 'staff'; role: 'ADMIN' | 'SERVICE'; subject: string; sessionId: string | null } & Expiring);

export const ANONYMOUS: Viewer = { kind: 'anonymous' };

/** The id written as `actor_id` in audit rows; null for anonymous callers. */
export function actorId(viewer: Viewer): string | null {
  if (viewer.kind === 'customer') return viewer.customerId;
  if (viewer.kind === 'staff') return viewer.subject;
  return null;
}

/** True once the viewer's token has expired: long-lived subscriptions ask this of every event. */
export function hasExpired(viewer: Viewer, now = Date.now()): boolean {
  return viewer.kind !== 'anonymous' && viewer.expiresAt !== undefined && now >= viewer.expiresAt;
}
