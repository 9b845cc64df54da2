import { Arg, FieldResolver, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { CustomerConnection } from '../customer/customer-connection.type';
import { Customer } from '../customer/customer.type';
import { SegmentInput } from './segment.input';
import { CustomerSegment, SegmentRefreshResult } from './segment.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver(() => CustomerSegment)
export class SegmentResolver {
  @Query(() => [CustomerSegment], { description: 'ADMIN.' })
  async customerSegments(): Promise<CustomerSegment[]> {
    throw DomainError.notImplemented('customerSegments');
  }

  @Query(() => CustomerSegment, { nullable: true, description: 'ADMIN.' })
  async customerSegment(@Arg('id', () => ID) _id: string): Promise<CustomerSegment | null> {
    throw DomainError.notImplemented('customerSegment');
  }

  @Mutation(() => CustomerSegment)
  async createSegment(@Arg('input', () => SegmentInput) _input: SegmentInput): Promise<CustomerSegment> {
    throw DomainError.notImplemented('createSegment');
  }

  @Mutation(() => CustomerSegment)
  async updateSegment(
    @Arg('id', () => ID) _id: string,
    @Arg('input', () => SegmentInput) _input: SegmentInput,
  ): Promise<CustomerSegment> {
    throw DomainError.notImplemented('updateSegment');
  }

  @Mutation(() => Boolean)
  async deleteSegment(@Arg('id', () => ID) _id: string): Promise<boolean> {
    throw DomainError.notImplemented('deleteSegment');
  }

  @Mutation(() => [CustomerSegment], { description: 'Re-scores one customer against every active segment; returns their segments.' })
  async evaluateCustomerSegments(@Arg('customerId', () => ID) _customerId: string): Promise<CustomerSegment[]> {
    throw DomainError.notImplemented('evaluateCustomerSegments');
  }

  @Mutation(() => SegmentRefreshResult, { description: "Recomputes one segment's membership for all customers, set-based." })
  async refreshSegment(@Arg('id', () => ID) _id: string): Promise<SegmentRefreshResult> {
    throw DomainError.notImplemented('refreshSegment');
  }

  @FieldResolver(() => CustomerConnection)
  async members(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) _first?: number | null,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): Promise<CustomerConnection> {
    throw DomainError.notImplemented('CustomerSegment.members');
  }
}

@Resolver(() => Customer)
export class CustomerSegmentsFieldResolver {
  @FieldResolver(() => [CustomerSegment], { description: 'Segments the customer currently belongs to.' })
  async segments(): Promise<CustomerSegment[]> {
    throw DomainError.notImplemented('Customer.segments');
  }
}
