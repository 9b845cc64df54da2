import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
@Directive('@shareable')
export class Money {
  @Field({ description: 'Decimal string, never a float: "1234.50".' }) amount!: string;
  @Field({ description: 'ISO 4217.' }) currencyCode!: string;
}

@ObjectType({ simpleResolvers: true })
export class CustomerStatistics {
  @Field(() => Int) totalOrders!: number;
  @Field(() => Money) totalSpent!: Money;
  @Field(() => Money) averageOrderValue!: Money;
  @Field(() => DateTimeScalar, { nullable: true }) firstOrderAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastOrderAt!: Date | null;
}
