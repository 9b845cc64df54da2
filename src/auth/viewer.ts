/** Who is asking: decided once per request (or WebSocket connection) from the JWT. */
export type Role = 'CUSTOMER' | 'ADMIN' | 'SERVICE';

export type Viewer =
  | { kind: 'anonymous' }
  | { kind: 'customer'; customerId: string; sessionId: string | null }
  | { kind: 'staff'; role: 'ADMIN' | 'SERVICE'; subject: string; sessionId: string | null };

export const ANONYMOUS: Viewer = { kind: 'anonymous' };

/** The id written as `actor_id` in audit rows; null for anonymous callers. */
export function actorId(viewer: Viewer): string | null {
  if (viewer.kind === 'customer') return viewer.customerId;
  if (viewer.kind === 'staff') return viewer.subject;
  return null;
}
