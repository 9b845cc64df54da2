import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import { hasExpired } from '../../auth/viewer';
import { isUuid } from '../../common/ids';
import { DateTimeScalar } from '../../common/scalars';
import type { Context } from '../../context/context';
import { DomainError } from '../../errors/domain-error';
import { filterAsync } from '../../events/filter';
import { AuditRecordedMessage, CustomerChangedMessage, SegmentMembershipMessage, TOPICS } from '../../events/topics';
import { AuditEventFilter } from '../audit/audit.input';
import { AuditEvent } from '../audit/audit.type';
import { customerKey } from '../customer/customer.loader';
import { SegmentMembershipEvent } from '../segment/segment.type';
import { CustomerChangeEvent } from './change-event.type';

type SubscribeData<A> = { args: A; context: Context };

/**
 * Asked of every event: a subscription outlives the token it was opened with, and the session
 * behind it. An expired token, or a session ended since (logout, password reset), receives
 * nothing more than this error. (graphql-ws also closes the socket when its token expires.)
 */
async function requireStillAuthorized(ctx: Context): Promise<void> {
  const { viewer } = ctx;
  if (hasExpired(viewer)) throw new DomainError('UNAUTHENTICATED', 'The token of this subscription has expired; subscribe again with a new one');
  if (viewer.kind === 'customer' && viewer.sessionId && !(await ctx.services.sessions.isLive(viewer.sessionId, viewer.customerId))) {
    throw new DomainError('UNAUTHENTICATED', 'The session of this subscription has ended; sign in again');
  }
}

/**
 * Live changes, fed by the outbox relay (so subscribers only ever see committed changes) over
 * Redis pub/sub (every replica's subscribers get every replica's events) or in-process.
 * Authorization is each subscription's declared rule (src/auth/rules.ts), which type-graphql's
 * authChecker asks when subscribing and again for every event; the token and session are
 * checked again for every event here.
 */
@Resolver(() => CustomerChangeEvent)
export class SubscriptionResolver {
  @Subscription(() => CustomerChangeEvent, {
    description: 'OWNER (their own id) or ADMIN (one customer, or all when customerId is omitted).',
    subscribe: ({ args, context }: SubscribeData<{ customerId?: string | null }>) => {
      // The rule (SELF_OR_ADMIN) has admitted a customer for their own id only; omitted, it
      // means theirs (a customer) or all (ADMIN).
      const { viewer } = context;
      const only = args.customerId ?? (viewer.kind === 'customer' ? viewer.customerId : null);
      const source = context.pubsub.asyncIterableIterator<CustomerChangedMessage>(TOPICS.customerChanged);
      return filterAsync(source, (m) => only === null || m.customerId === only);
    },
  })
  async customerChanged(
    @Root() message: CustomerChangedMessage,
    @Ctx() ctx: Context,
    @Arg('customerId', () => ID, { nullable: true }) _customerId?: string | null,
  ): Promise<CustomerChangedMessage> {
    await requireStillAuthorized(ctx);
    // Every event is resolved with fresh loaders: it must show the customer as now committed.
    ctx.loaders.reset();
    return message;
  }

  @FieldResolver(() => DateTimeScalar)
  occurredAt(@Root() m: CustomerChangedMessage): Date {
    return new Date(m.occurredAt);
  }

  @FieldResolver()
  customer(@Root() m: CustomerChangedMessage, @Ctx() ctx: Context) {
    return ctx.loaders.customerById.load(customerKey(m.customerId, null));
  }

  @Subscription(() => AuditEvent, {
    description: 'ADMIN: the live audit feed.',
    subscribe: ({ args, context }: SubscribeData<{ filter?: AuditEventFilter | null }>) => {
      const f = args.filter;
      const source = context.pubsub.asyncIterableIterator<AuditRecordedMessage>(TOPICS.auditRecorded);
      return filterAsync(
        source,
        (m) =>
          (!f?.customerId || (isUuid(f.customerId) && m.customerId === f.customerId.toLowerCase())) &&
          (!f?.eventTypes?.length || f.eventTypes.includes(m.eventType)) &&
          (!f?.eventTypePrefix || m.eventType.startsWith(f.eventTypePrefix)) &&
          (!f?.severity?.length || (f.severity as string[]).includes(m.severity)),
      );
    },
  })
  async auditEventRecorded(
    @Root() message: AuditRecordedMessage,
    @Ctx() ctx: Context,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) _filter?: AuditEventFilter | null,
  ) {
    await requireStillAuthorized(ctx);
    const event = await ctx.services.audit.byId(message.auditId);
    if (!event) throw DomainError.notFound('Audit event');
    return event;
  }

  @Subscription(() => SegmentMembershipEvent, {
    description: 'ADMIN.',
    subscribe: ({ args, context }: SubscribeData<{ segmentId?: string | null }>) => {
      const only = args.segmentId?.toLowerCase() ?? null;
      const source = context.pubsub.asyncIterableIterator<SegmentMembershipMessage>(TOPICS.segmentMembership);
      return filterAsync(source, (m) => only === null || m.segmentId === only);
    },
  })
  async segmentMembershipChanged(
    @Root() m: SegmentMembershipMessage,
    @Ctx() ctx: Context,
    @Arg('segmentId', () => ID, { nullable: true }) _segmentId?: string | null,
  ): Promise<SegmentMembershipEvent> {
    await requireStillAuthorized(ctx);
    return { segmentId: m.segmentId, customerId: m.customerId, joined: m.joined, occurredAt: new Date(m.occurredAt) };
  }
}
