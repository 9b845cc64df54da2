/** Who is asking: decided once per request (or WebSocket connection) from the JWT. */
export type Role = 'CUSTOMER' | 'ADMIN' | 'SERVICE';

/** When the token behind a viewer stops being valid (ms since the epoch, clock tolerance included); absent for in-process actors. */
interface Expiring {
  expiresAt?: number;
  /** When the token was issued (its `iat`, ms since the epoch); absent when it has none. */
  issuedAt?: number;
}

export type CustomerViewer = { kind: 'customer'; customerId: string; sessionId: string | null } & Expiring;

export type Viewer =
  { kind: 'anonymous' } | CustomerViewer | ({ kind: 'staff'; role: 'ADMIN' | 'SERVICE'; subject: string; sessionId: string | null } & Expiring);

export const ANONYMOUS: Viewer = { kind: 'anonymous' };

/**
 * The signed-in customer of a field whose declared rule admits customers only (CUSTOMER in
 * src/auth/rules.ts, checked before its resolver). Anyone else here is a wiring mistake, not a
 * caller to refuse.
 */
export function asCustomer(viewer: Viewer): CustomerViewer {
  if (viewer.kind !== 'customer') throw new Error('Only a field with the CUSTOMER rule may ask for the signed-in customer');
  return viewer;
}

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
