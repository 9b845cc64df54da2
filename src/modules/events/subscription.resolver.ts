import { Arg, ID, Resolver, Subscription } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { AuditEventFilter } from '../audit/audit.input';
import { AuditEvent } from '../audit/audit.type';
import { SegmentMembershipEvent } from '../segment/segment.type';
import { CustomerChangeEvent } from './change-event.type';

// Contract stubs for a later milestone. No pubSub is configured, so each subscription
// uses `subscribe` and fails at subscribe time with NOT_IMPLEMENTED; no event is faked.

const notImplemented =
  (operation: string) =>
  (): never => {
    throw DomainError.notImplemented(operation);
  };

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => CustomerChangeEvent, {
    subscribe: notImplemented('customerChanged'),
    description: 'OWNER (their own id) or ADMIN (one customer, or all when customerId is omitted).',
  })
  customerChanged(@Arg('customerId', () => ID, { nullable: true }) _customerId?: string | null): CustomerChangeEvent {
    throw DomainError.notImplemented('customerChanged');
  }

  @Subscription(() => AuditEvent, { subscribe: notImplemented('auditEventRecorded'), description: 'ADMIN: the live audit feed.' })
  auditEventRecorded(
    @Arg('filter', () => AuditEventFilter, { nullable: true }) _filter?: AuditEventFilter | null,
  ): AuditEvent {
    throw DomainError.notImplemented('auditEventRecorded');
  }

  @Subscription(() => SegmentMembershipEvent, { subscribe: notImplemented('segmentMembershipChanged'), description: 'ADMIN.' })
  segmentMembershipChanged(
    @Arg('segmentId', () => ID, { nullable: true }) _segmentId?: string | null,
  ): SegmentMembershipEvent {
    throw DomainError.notImplemented('segmentMembershipChanged');
  }
}
