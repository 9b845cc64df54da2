import { CustomerEventType } from '../common/enums';

/** Pub/sub topics the relay publishes to and subscriptions listen on. */
export const TOPICS = {
  customerChanged: 'customer-subgraph.customer-changed',
  auditRecorded: 'customer-subgraph.audit-recorded',
  segmentMembership: 'customer-subgraph.segment-membership',
} as const;

/** The Redis stream other services consume. */
export const STREAM = 'customer.events';

/** CloudEvent type of a segment join or leave; also feeds `segmentMembershipChanged`. */
export const MEMBERSHIP_CHANGED = 'segment.membership_changed';

/**
 * Outbox type of a batch of membership changes of one segment (a refresh or a segment
 * delete): one row per up to MEMBERSHIP_BATCH_SIZE changes, which the relay fans out into one
 * `segment.membership_changed` event each. Never published under this type.
 */
export const MEMBERSHIP_BATCH = 'segment.membership_changed.batch';
export const MEMBERSHIP_BATCH_SIZE = 1000;

/** What `segmentMembershipChanged` subscribers receive (the event's data plus its time). */
export interface SegmentMembershipMessage {
  segmentId: string;
  customerId: string;
  joined: boolean;
  occurredAt: string;
}

/** Outbox type of the internal "an audit row was committed" notice (live feed only, not streamed). */
export const AUDIT_RECORDED = 'audit.recorded';

/** CloudEvent type -> the CustomerEventType that `customerChanged` reports. */
export const CHANGE_EVENT_TYPES: Record<string, CustomerEventType> = {
  'customer.created': CustomerEventType.CUSTOMER_CREATED,
  'customer.updated': CustomerEventType.CUSTOMER_UPDATED,
  'customer.deleted': CustomerEventType.CUSTOMER_DELETED,
  'customer.status_changed': CustomerEventType.STATUS_CHANGED,
  'customer.group_changed': CustomerEventType.GROUP_CHANGED,
  'customer.address.created': CustomerEventType.ADDRESS_CREATED,
  'customer.address.updated': CustomerEventType.ADDRESS_UPDATED,
  'customer.address.deleted': CustomerEventType.ADDRESS_DELETED,
  'customer.address.default_changed': CustomerEventType.DEFAULT_ADDRESS_CHANGED,
  'customer.preferences.updated': CustomerEventType.PREFERENCES_UPDATED,
  'customer.email_verified': CustomerEventType.EMAIL_VERIFIED,
  'customer.two_factor.enabled': CustomerEventType.TWO_FACTOR_ENABLED,
  'customer.two_factor.disabled': CustomerEventType.TWO_FACTOR_DISABLED,
};

/** What `customerChanged` subscribers receive from the pub/sub (ids only, no personal data). */
export interface CustomerChangedMessage {
  eventId: string;
  type: CustomerEventType;
  customerId: string;
  occurredAt: string;
}

/** What `auditEventRecorded` subscribers receive: enough to filter; the row is read on delivery. */
export interface AuditRecordedMessage {
  auditId: string;
  customerId: string | null;
  eventType: string;
  severity: string;
}
