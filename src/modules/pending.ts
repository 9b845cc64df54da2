import { SubscriptionResolver } from './events/subscription.resolver';
export { pendingPubSub } from './events/pending-pubsub';
import { GdprResolver } from './gdpr/gdpr.resolver';
import { CustomerSegmentsFieldResolver, SegmentResolver } from './segment/segment.resolver';
import { CustomerStatisticsFieldResolver } from './statistics/statistics.resolver';

/** Contract operations of later milestones, wired as NOT_IMPLEMENTED stubs. */
export const pendingResolvers = [
  SegmentResolver,
  CustomerSegmentsFieldResolver,
  CustomerStatisticsFieldResolver,
  GdprResolver,
  SubscriptionResolver,
] as const;
