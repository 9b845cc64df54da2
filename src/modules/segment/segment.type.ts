import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { SegmentField, SegmentOperator } from '../../common/enums';
import { DateTimeScalar, JSONScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
export class SegmentRule {
  @Field(() => SegmentField) field!: SegmentField;
  @Field(() => SegmentOperator) operator!: SegmentOperator;
  @Field(() => JSONScalar) value!: unknown;
  @Field(() => Int) weight!: number;
}

/** `members` is added by a field resolver (segment.resolver.ts), so it runs only when selected. */
@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class CustomerSegment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field() isActive!: boolean;
  @Field(() => [SegmentRule]) rules!: SegmentRule[];
  @Field(() => Int, { description: 'A customer belongs when the summed weight of the rules they match reaches this.' })
  minScore!: number;
  @Field(() => Int) memberCount!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class SegmentRefreshResult {
  @Field(() => CustomerSegment) segment!: CustomerSegment;
  @Field(() => Int) added!: number;
  @Field(() => Int) removed!: number;
  @Field(() => Int) memberCount!: number;
}

@ObjectType({ simpleResolvers: true })
export class SegmentMembershipEvent {
  @Field(() => ID) segmentId!: string;
  @Field(() => ID) customerId!: string;
  @Field() joined!: boolean;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}
