import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class CustomerGroup {
  @Field(() => ID) id!: string;
  @Field({ description: 'Stable machine name, e.g. B2C, B2B, WHOLESALE, VIP.' }) code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field({ description: 'New customers join the default group.' }) isDefault!: boolean;
  /** Resolved through a batched count, only when selected. */
  @Field(() => Int) customerCount!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
}
