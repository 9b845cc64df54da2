import { DomainError } from '../errors/domain-error';
import { actedByOther } from '../modules/audit/audit.record';
import type { Viewer } from './viewer';

/**
 * The one place that decides who may read or change what (DESIGN.md "Identity and
 * authorization"). The named rules of src/auth/rules.ts, declared for every root field,
 * subscription, `_entities` type and Customer-subtree field, decide by asking here.
 *
 * - A customer reads and changes only their own data.
 * - ADMIN may do everything the contract grants; SERVICE (other platform services) may
 *   read customers and create/update them, but not run back-office administration.
 * - Anonymous callers see nothing personal.
 */
export const policy = {
  isStaff(viewer: Viewer): boolean {
    return viewer.kind === 'staff';
  },

  isAdmin(viewer: Viewer): boolean {
    return viewer.kind === 'staff' && viewer.role === 'ADMIN';
  },

  /** A null id (none named) is nobody's. */
  isOwner(viewer: Viewer, customerId: string | null): boolean {
    return viewer.kind === 'customer' && customerId !== null && viewer.customerId === customerId;
  },

  requireAuthenticated(viewer: Viewer): void {
    if (viewer.kind === 'anonymous') throw new DomainError('UNAUTHENTICATED', 'Authentication required');
  },

  /** ADMIN only: back-office operations (lists, groups, status, segments, audit). */
  requireAdmin(viewer: Viewer): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isAdmin(viewer)) throw new DomainError('FORBIDDEN', 'This operation requires the ADMIN role');
  },

  /** ADMIN or SERVICE: platform-wide reads and imports. */
  requireStaff(viewer: Viewer): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isStaff(viewer)) throw new DomainError('FORBIDDEN', 'This operation requires the ADMIN or SERVICE role');
  },

  /** The customer themselves, ADMIN or SERVICE. */
  requireReadCustomer(viewer: Viewer, customerId: string | null): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isStaff(viewer) && !policy.isOwner(viewer, customerId)) {
      throw new DomainError('FORBIDDEN', 'You may only read your own customer record');
    }
  },

  /** The customer themselves, ADMIN or SERVICE. */
  requireWriteCustomer(viewer: Viewer, customerId: string | null): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isStaff(viewer) && !policy.isOwner(viewer, customerId)) {
      throw new DomainError('FORBIDDEN', 'You may only change your own customer record');
    }
  },

  /**
   * Addresses and wishlists: the owner or ADMIN. Another customer is told NOT_FOUND, so ids
   * of other customers' addresses reveal nothing; SERVICE is FORBIDDEN.
   */
  requireOwnedResource(viewer: Viewer, ownerId: string | null, what: string): void {
    policy.requireAuthenticated(viewer);
    if (ownerId === null) throw DomainError.notFound(what);
    if (policy.isAdmin(viewer) || policy.isOwner(viewer, ownerId)) return;
    if (viewer.kind === 'staff') throw new DomainError('FORBIDDEN', `Only the customer or an ADMIN may access this ${what}`);
    throw DomainError.notFound(what);
  },

  /** A signed-in customer (operations on one's own account): answers their id. */
  requireCustomer(viewer: Viewer): string {
    policy.requireAuthenticated(viewer);
    if (viewer.kind !== 'customer') throw new DomainError('FORBIDDEN', 'Only a signed-in customer can do this');
    return viewer.customerId;
  },

  /** The customer themselves and nobody else (two-factor settings). */
  requireOwner(viewer: Viewer, customerId: string | null): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isOwner(viewer, customerId)) throw new DomainError('FORBIDDEN', 'Only the customer themselves may do this');
  },

  /**
   * The IP address a consent was given from. The consent log itself (channel, granted, source,
   * time) is readable by whoever reads the customer: services (through `_entities` too) need the
   * proof of consent, not where the person was. ADMIN sees every address; the customer their
   * own, not an ADMIN's or a service's (seesActorOf); SERVICE none.
   */
  seesConsentAddress(viewer: Viewer, record: { actorId: string | null }): boolean {
    return policy.isAdmin(viewer) || (viewer.kind === 'customer' && policy.seesActorOf(viewer, record));
  },

  /**
   * Whether the viewer may see who made a change to a customer's account and from where (actor,
   * IP address, user agent of an audit row or consent record). A customer does not, for
   * changes someone else (an ADMIN, a service) made: that is the other person's data. The same
   * predicate leaves it out of their GDPR export.
   */
  seesActorOf(viewer: Viewer, record: { actorId: string | null }): boolean {
    return viewer.kind !== 'customer' || !actedByOther(record, viewer.customerId);
  },

  /** The customer themselves or ADMIN (personal settings such as consents and addresses). */
  requireOwnerOrAdmin(viewer: Viewer, customerId: string | null): void {
    policy.requireAuthenticated(viewer);
    if (!policy.isAdmin(viewer) && !policy.isOwner(viewer, customerId)) {
      throw new DomainError('FORBIDDEN', 'Only the customer or an ADMIN may do this');
    }
  },
};
