import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { selectedFields } from '../../common/selection';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { CustomerConnection } from '../customer/customer-connection.type';
import { Customer } from '../customer/customer.type';
import type { RefreshResult } from './segment.service';
import type { SegmentRecord } from './segment.record';
import { SegmentInput } from './segment.input';
import { CustomerSegment, SegmentRefreshResult } from './segment.type';

/** Segments are back-office data: ADMIN only, for reads and changes alike (src/auth/rules.ts). */
@Resolver(() => CustomerSegment)
export class SegmentResolver {
  @Query(() => [CustomerSegment], { description: 'ADMIN.' })
  customerSegments(@Ctx() ctx: Context): Promise<SegmentRecord[]> {
    return ctx.services.segments.list();
  }

  @Query(() => CustomerSegment, { nullable: true, description: 'ADMIN.' })
  customerSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<SegmentRecord | null> {
    return ctx.loaders.segmentById.load(id);
  }

  @Mutation(() => CustomerSegment, { description: 'ADMIN. Members are computed by refreshSegment (or the schedule).' })
  createSegment(@Arg('input', () => SegmentInput) input: SegmentInput, @Ctx() ctx: Context): Promise<SegmentRecord> {
    return ctx.services.segments.create(input, ctx);
  }

  @Mutation(() => CustomerSegment, { description: 'ADMIN. Members follow at the next refresh.' })
  updateSegment(@Arg('id', () => ID) id: string, @Arg('input', () => SegmentInput) input: SegmentInput, @Ctx() ctx: Context): Promise<SegmentRecord> {
    return ctx.services.segments.update(id, input, ctx);
  }

  @Mutation(() => Boolean, { description: 'ADMIN.' })
  deleteSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.segments.delete(id, ctx);
  }

  @Mutation(() => [CustomerSegment], { description: 'Re-scores one customer against every active segment; returns their segments.' })
  evaluateCustomerSegments(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context): Promise<SegmentRecord[]> {
    return ctx.services.segments.evaluate(customerId, ctx);
  }

  @Mutation(() => SegmentRefreshResult, { description: "Recomputes one segment's membership for all customers, set-based." })
  refreshSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<RefreshResult> {
    return ctx.services.segments.refresh(id, ctx);
  }

  @FieldResolver(() => Int)
  memberCount(@Root() s: SegmentRecord, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.segmentMemberCount.load(s.id);
  }

  @FieldResolver(() => CustomerConnection, { description: 'Keyset pages of the live members, newest first.' })
  members(
    @Root() s: SegmentRecord,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return ctx.services.customers.list({ segmentId: s.id }, null, first, after, selectedFields(info, ['edges', 'node'], ['nodes']));
  }
}

@Resolver(() => Customer)
export class CustomerSegmentsFieldResolver {
  /** ADMIN (src/auth/rules.ts), like every segment read: a segment carries its rules and leads to its members. */
  @FieldResolver(() => [CustomerSegment], { description: 'Segments the customer currently belongs to.' })
  segments(@Root() c: CustomerRecord, @Ctx() ctx: Context): Promise<SegmentRecord[]> {
    return ctx.loaders.segmentsByCustomer.load(c.id);
  }
}
