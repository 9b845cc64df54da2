import { DomainError } from '../errors/domain-error';
import { policy } from './policy';
import type { Viewer } from './viewer';

/**
 * Who may do what, declared: every root field, subscription, `_entities` type and field of the
 * Customer subtree names one rule of RULES (test/authorization-rules.test.ts fails on one that
 * does not, and on a schema/authorization-rules.md that is not this table printed). The rules
 * decide by asking policy.ts, so the logic stays there; this file only says which rule holds
 * where, and about whose data. How they are enforced: src/auth/authorize.ts.
 */

/** What a rule is told about the field besides the viewer and whose data (fixed per field). */
export interface Use {
  /** A change rather than a read (only the messages differ). */
  write: boolean;
  /** What the data is, for "not found" and refusal messages ("Address"). */
  resource: string;
}

/** A rule that refuses: throws the DomainError clients see (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND), else returns. */
interface RefusingRule {
  kind: 'refuse';
  /** Who passes, in words (printed in the committed table). */
  who: string;
  /** What the others get. */
  otherwise: string;
  /** Whether it is about one customer's data, so a field declaring it must say where the customer id comes from. */
  needsCustomer: boolean;
  /** `customerId`: whose data, for a rule about one customer's; null when none is named. */
  check(viewer: Viewer, customerId: string | null, use: Use): void;
}

/** A rule that hides a value: the field answers null where `sees` is false (nothing is refused). */
interface RedactingRule {
  kind: 'redact';
  who: string;
  otherwise: string;
  needsCustomer: false;
  sees(viewer: Viewer, record: { actorId: string | null }): boolean;
}

export type Rule = RefusingRule | RedactingRule;

const refuse = (r: Omit<RefusingRule, 'kind'>): RefusingRule => ({ kind: 'refuse', ...r });

/** The named rules. Each decision is policy.ts's. */
export const RULES = {
  PUBLIC: refuse({ who: 'anyone, signed in or not', otherwise: '-', needsCustomer: false, check: () => undefined }),
  AUTHENTICATED: refuse({
    who: 'any signed-in caller (CUSTOMER, ADMIN, SERVICE)',
    otherwise: 'UNAUTHENTICATED',
    needsCustomer: false,
    check: (viewer) => policy.requireAuthenticated(viewer),
  }),
  CUSTOMER: refuse({
    who: 'a signed-in customer (their own account: the token names it)',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN for ADMIN and SERVICE',
    needsCustomer: false,
    check: (viewer) => void policy.requireCustomer(viewer),
  }),
  STAFF: refuse({
    who: 'ADMIN or SERVICE',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN for customers',
    needsCustomer: false,
    check: (viewer) => policy.requireStaff(viewer),
  }),
  ADMIN: refuse({
    who: 'ADMIN',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN for customers and SERVICE',
    needsCustomer: false,
    check: (viewer) => policy.requireAdmin(viewer),
  }),
  SELF: refuse({
    who: 'the customer themselves only (ADMIN and SERVICE included out)',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN',
    needsCustomer: true,
    check: (viewer, customerId) => policy.requireOwner(viewer, customerId),
  }),
  SELF_OR_ADMIN: refuse({
    who: 'the customer themselves or ADMIN',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN (SERVICE too)',
    needsCustomer: true,
    check: (viewer, customerId) => policy.requireOwnerOrAdmin(viewer, customerId),
  }),
  SELF_OR_ADMIN_HIDDEN: refuse({
    who: 'the customer themselves or ADMIN',
    otherwise: 'UNAUTHENTICATED; NOT_FOUND for another customer (an id reveals nothing) and for no owner; FORBIDDEN for SERVICE',
    needsCustomer: true,
    check: (viewer, customerId, use) => policy.requireOwnedResource(viewer, customerId, use.resource),
  }),
  SELF_OR_STAFF: refuse({
    who: 'the customer themselves, ADMIN or SERVICE',
    otherwise: 'UNAUTHENTICATED; FORBIDDEN for another customer',
    needsCustomer: true,
    check: (viewer, customerId, use) => (use.write ? policy.requireWriteCustomer(viewer, customerId) : policy.requireReadCustomer(viewer, customerId)),
  }),
  SEES_ACTOR: {
    kind: 'redact',
    who: 'ADMIN, SERVICE, and the customer for changes they made themselves',
    otherwise: 'null (a customer does not see who else changed their account, or from where)',
    needsCustomer: false,
    sees: (viewer, record) => policy.seesActorOf(viewer, record),
  } satisfies RedactingRule,
  SEES_CONSENT_ADDRESS: {
    kind: 'redact',
    who: 'ADMIN, and the customer for consents they gave themselves',
    otherwise: 'null (SERVICE sees no address; a customer not that of an ADMIN or service)',
    needsCustomer: false,
    sees: (viewer, record) => policy.seesConsentAddress(viewer, record),
  } satisfies RedactingRule,
} as const;

export type RuleName = keyof typeof RULES;

/** Where the customer id a rule is about comes from (`root` is the parent value, or the representation). */
export interface CustomerOf {
  describe: string;
  get(root: unknown, args: Record<string, unknown>, viewer: Viewer): string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The argument `name` (ids are lower-cased UUIDs by then: argument-guard.ts runs first). */
export const arg = (name: string): CustomerOf => ({ describe: `argument \`${name}\``, get: (_root, args) => str(args[name]) });

/** The argument, or when it is omitted the caller's own id (a customer) or none (everyone else). */
export const argOrOwn = (name: string): CustomerOf => ({
  describe: `argument \`${name}\`; omitted: the caller's own (a customer), all (ADMIN)`,
  get: (_root, args, viewer) => str(args[name]) ?? (viewer.kind === 'customer' ? viewer.customerId : null),
});

/** A property of the parent value (the object the field is on) or of a loaded row. */
export const parent = (property: string, describe = `the parent's \`${property}\``): CustomerOf => ({
  describe,
  get: (root) => str((root as Record<string, unknown> | null)?.[property]),
});

/**
 * How a declared rule is enforced:
 * - `field`: type-graphql's authChecker on the field (src/auth/authorize.ts), before the
 *   resolver and argument validation; for root fields, subscriptions (when subscribing and for
 *   every event) and the few Customer-subtree fields whose rule differs from their parent's;
 * - `inherit`: nothing per field: the object was admitted where it entered the response (the
 *   field that returned it, `__resolveReference`), so its plain fields cost nothing per row;
 * - `reference`: per representation of `_entities` (src/entities.ts; FORBIDDEN for that entity only;
 *   null for an id that is no UUID or names no row);
 * - `redact`: the field resolver answers null where the rule does not let the viewer see it.
 * PUBLIC root fields need no checker.
 */
export type Enforcement = 'field' | 'inherit' | 'reference' | 'redact' | 'none';

export interface FieldRule {
  rule: RuleName | 'INHERIT';
  customerOf?: CustomerOf;
  /** For SELF_OR_ADMIN_HIDDEN's "not found" message. */
  resource?: string;
  /**
   * A further rule about data only the resolver or service loads (an address's owner), which a
   * field rule cannot see: enforced there, with this same rule, and printed in the table.
   */
  then?: { rule: RuleName; customerOf: CustomerOf; resource?: string; where: string };
  /** What else is checked, and where (resolver, service), in words. */
  note?: string;
}

const r = (rule: RuleName | 'INHERIT', more: Omit<FieldRule, 'rule'> = {}): FieldRule => ({ rule, ...more });
const ADMIN = r('ADMIN');
const INHERIT: FieldRule = { rule: 'INHERIT' };
const inherit = (type: string, fields: string[]): Record<string, FieldRule> => Object.fromEntries(fields.map((f) => [`${type}.${f}`, INHERIT]));

/** An address found by its id: its owner is known once it is loaded. */
const ADDRESS_OWNER = { rule: 'SELF_OR_ADMIN_HIDDEN', customerOf: parent('customerId', "the loaded address's `customerId`"), resource: 'Address' } as const;

/**
 * Every root field, subscription, entity type and Customer-subtree field, by schema coordinate.
 * `Type.__resolveReference` is the `_entities` rule of that type.
 */
export const FIELD_RULES: Record<string, FieldRule> = {
  // Queries
  'Query.me': r('PUBLIC', { note: "answers the caller's own record, and null without a customer token" }),
  'Query.customer': r('SELF_OR_STAFF', { customerOf: arg('id') }),
  'Query.customerByEmail': r('STAFF'),
  'Query.customers': ADMIN,
  'Query.customerGroups': ADMIN,
  'Query.auditEvents': ADMIN,
  'Query.customerSegments': ADMIN,
  'Query.customerSegment': ADMIN,
  'Query._entities': r('PUBLIC', { note: "each representation is decided by its type's `__resolveReference` rule (below)" }),
  'Query._service': r('PUBLIC', { note: 'the subgraph SDL, for routers; no data' }),

  // Customers
  'Mutation.createCustomer': r('STAFF'),
  'Mutation.updateCustomer': r('SELF_OR_STAFF', {
    customerOf: arg('id'),
    note: 'checked in resolver: a customer changing their own email confirms it with their password or a two-factor code',
  }),
  'Mutation.setCustomerStatus': ADMIN,
  'Mutation.assignCustomerGroup': ADMIN,
  'Mutation.createCustomerGroup': ADMIN,
  'Mutation.updateCustomerGroup': ADMIN,
  'Mutation.deleteCustomerGroup': ADMIN,
  'Mutation.updatePreferences': r('SELF_OR_ADMIN', { customerOf: arg('customerId') }),
  'Mutation.createAddress': r('SELF_OR_ADMIN', { customerOf: arg('customerId') }),
  'Mutation.updateAddress': r('AUTHENTICATED', { then: { ...ADDRESS_OWNER, where: 'resolver, after loading the address (unknown id: NOT_FOUND)' } }),
  'Mutation.deleteAddress': r('AUTHENTICATED', { then: { ...ADDRESS_OWNER, where: 'resolver, after loading the address (unknown id: NOT_FOUND)' } }),
  'Mutation.setDefaultAddress': r('SELF_OR_ADMIN', {
    customerOf: arg('customerId'),
    note: "checked in service: the address is one of that customer's (else NOT_FOUND)",
  }),
  'Mutation.addToWishlist': r('SELF_OR_ADMIN', { customerOf: arg('customerId') }),
  'Mutation.removeFromWishlist': r('SELF_OR_ADMIN', { customerOf: arg('customerId') }),
  'Mutation.createSegment': ADMIN,
  'Mutation.updateSegment': ADMIN,
  'Mutation.deleteSegment': ADMIN,
  'Mutation.evaluateCustomerSegments': ADMIN,
  'Mutation.refreshSegment': ADMIN,
  'Mutation.deleteCustomer': r('SELF_OR_ADMIN', {
    customerOf: arg('id'),
    note: 'checked in resolver: a customer confirms with their password or a two-factor code (ADMIN needs neither)',
  }),
  'Mutation.exportCustomerData': r('SELF_OR_ADMIN', { customerOf: arg('id') }),

  // Accounts
  'Mutation.register': r('PUBLIC', { note: 'per-IP limit (service); the rest of the operation runs as the new customer' }),
  'Mutation.login': r('PUBLIC', { note: 'per-IP limit and lockout (service); the rest of the operation runs as the signed-in customer' }),
  'Mutation.logout': r('AUTHENTICATED', { note: 'revokes the session of the token used; false for a token without one' }),
  'Mutation.requestEmailVerification': r('CUSTOMER', { note: 'per-IP limit (service)' }),
  'Mutation.verifyEmail': r('PUBLIC', {
    note: "the emailed token proves the address; checked in resolver: an anonymous caller may select only the customer's own scalar fields (else UNAUTHENTICATED, token unused)",
  }),
  'Mutation.requestPasswordReset': r('PUBLIC', { note: 'per-IP limit (service); always true' }),
  'Mutation.resetPassword': r('PUBLIC', { note: 'the emailed token (service)' }),
  'Mutation.changePassword': r('CUSTOMER', { note: 'checked in service: the current password, per-customer and per-IP limits' }),
  'Mutation.enableTwoFactor': r('SELF', { customerOf: arg('customerId'), note: 'checked in resolver: the current password' }),
  'Mutation.confirmTwoFactor': r('SELF', { customerOf: arg('customerId') }),
  'Mutation.verifyTwoFactor': r('SELF', { customerOf: arg('customerId') }),
  'Mutation.disableTwoFactor': r('SELF', { customerOf: arg('customerId') }),

  // Subscriptions: asked when subscribing and again for every event.
  'Subscription.customerChanged': r('SELF_OR_ADMIN', {
    customerOf: argOrOwn('customerId'),
    note: 'checked in resolver for every event: the token has not expired and its session is live',
  }),
  'Subscription.auditEventRecorded': r('ADMIN', { note: 'checked in resolver for every event: the token has not expired and its session is live' }),
  'Subscription.segmentMembershipChanged': r('ADMIN', { note: 'checked in resolver for every event: the token has not expired and its session is live' }),

  // `_entities`, per representation
  'Customer.__resolveReference': r('SELF_OR_STAFF', { customerOf: parent('id', "the representation's `id`") }),
  'CustomerGroup.__resolveReference': r('AUTHENTICATED'),
  'CustomerAddress.__resolveReference': r('AUTHENTICATED', { then: { ...ADDRESS_OWNER, where: '`__resolveReference`, after loading the address' } }),
  'CustomerSegment.__resolveReference': ADMIN,

  // The Customer subtree. A Customer enters a response only through the fields listed with
  // their rules under "enters through" in the printed table (SELF_OR_STAFF or stricter, or the
  // caller's own record); its plain fields inherit that decision.
  ...inherit('Customer', ['id', 'email', 'firstName', 'lastName', 'phone', 'dateOfBirth', 'gender', 'customerType', 'status']),
  ...inherit('Customer', ['emailVerified', 'twoFactorEnabled', 'registrationSource', 'metadata', 'createdAt', 'updatedAt', 'displayName']),
  ...inherit('Customer', ['group', 'preferences', 'statistics']),
  'Customer.addresses': r('SELF_OR_ADMIN_HIDDEN', { customerOf: parent('id'), resource: 'Address' }),
  'Customer.defaultShippingAddress': r('SELF_OR_ADMIN_HIDDEN', { customerOf: parent('id'), resource: 'Address' }),
  'Customer.defaultBillingAddress': r('SELF_OR_ADMIN_HIDDEN', { customerOf: parent('id'), resource: 'Address' }),
  'Customer.wishlist': r('SELF_OR_ADMIN_HIDDEN', { customerOf: parent('id'), resource: 'Wishlist' }),
  'Customer.auditTrail': r('SELF_OR_ADMIN', { customerOf: parent('id') }),
  'Customer.segments': ADMIN,

  ...inherit('CustomerGroup', ['id', 'code', 'name', 'description', 'isDefault', 'createdAt']),
  'CustomerGroup.customerCount': r('STAFF', { note: 'member counts are business data; group names are not personal' }),

  ...inherit('CustomerPreferences', ['emailMarketing', 'smsMarketing', 'pushNotifications', 'newsletter', 'dataSharing', 'analyticsTracking']),
  ...inherit('CustomerPreferences', ['cookieConsent', 'orderUpdates', 'promotionalEmails', 'custom', 'updatedAt', 'consentLog']),
  ...inherit('ConsentRecord', ['channel', 'granted', 'source', 'recordedAt']),
  'ConsentRecord.ipAddress': r('SEES_CONSENT_ADDRESS'),

  ...inherit('CustomerAddress', ['id', 'customerId', 'type', 'firstName', 'lastName', 'company', 'addressLine1', 'addressLine2', 'city']),
  ...inherit('CustomerAddress', ['stateProvince', 'postalCode', 'countryCode', 'phone', 'label', 'isDefault', 'isVerified', 'metadata']),
  ...inherit('CustomerAddress', ['createdAt', 'updatedAt']),

  ...inherit('AuditEventConnection', ['edges', 'nodes', 'pageInfo']),
  ...inherit('AuditEventEdge', ['cursor', 'node']),
  ...inherit('AuditEvent', ['id', 'eventType', 'severity', 'customerId', 'resourceId', 'operation', 'oldValues', 'newValues']),
  ...inherit('AuditEvent', ['metadata', 'createdAt']),
  'AuditEvent.actorId': r('SEES_ACTOR'),
  'AuditEvent.sessionId': r('SEES_ACTOR'),
  'AuditEvent.traceId': r('SEES_ACTOR'),
  'AuditEvent.ipAddress': r('SEES_ACTOR'),
  'AuditEvent.userAgent': r('SEES_ACTOR'),
  ...inherit('PageInfo', ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor']),

  ...inherit('CustomerStatistics', ['totalOrders', 'totalSpent', 'averageOrderValue', 'firstOrderAt', 'lastOrderAt']),
  ...inherit('Money', ['amount', 'currencyCode']),
  ...inherit('WishlistItem', ['id', 'product', 'addedAt']),
  ...inherit('Product', ['id']),

  // Segments enter only through ADMIN fields, so their counts and members inherit ADMIN.
  ...inherit('CustomerSegment', ['id', 'name', 'description', 'isActive', 'rules', 'minScore', 'memberCount', 'createdAt', 'updatedAt', 'members']),
  ...inherit('SegmentRule', ['field', 'operator', 'value', 'weight']),
  ...inherit('CustomerConnection', ['edges', 'nodes', 'pageInfo', 'totalCount']),
  ...inherit('CustomerEdge', ['cursor', 'node']),

  // Other ways into the subtree.
  'AuthPayload.customer': r('INHERIT', { note: 'register/login: the caller has just become this customer' }),
  'CustomerChangeEvent.customer': r('INHERIT', { note: "customerChanged's rule: the customer's own changes, or ADMIN" }),
  'SegmentRefreshResult.segment': INHERIT,
};

/** Why the INHERIT fields of a type are safe, printed under the type's entries in the table. */
export const TYPE_NOTES: Record<string, string> = {
  Customer:
    "Its INHERIT fields are read by whoever an entry admitted: SELF_OR_STAFF or stricter, or the caller's own record (`me`; `register`/`login`, whose caller has just become the customer; `verifyEmail`, whose token proves the address and whose anonymous caller may select scalar fields only).",
  CustomerGroup: 'Group names are not personal; the member count is STAFF only.',
  CustomerSegment: 'Every entry is ADMIN, so its counts and members inherit ADMIN.',
  CustomerConnection: 'Every entry is ADMIN.',
};

/** What a root field without a declared rule answers: deny by default. */
export function undeclared(coordinate: string): DomainError {
  return new DomainError('FORBIDDEN', `No authorization rule is declared for ${coordinate}`);
}
