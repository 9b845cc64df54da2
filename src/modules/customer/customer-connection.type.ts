import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../../common/page-info.type';
import { Customer } from './customer.type';

@ObjectType({ simpleResolvers: true })
export class CustomerEdge {
  @Field() cursor!: string;
  @Field(() => Customer) node!: Customer;
}

@ObjectType({ simpleResolvers: true })
export class CustomerConnection {
  @Field(() => [CustomerEdge]) edges!: CustomerEdge[];
  @Field(() => [Customer]) nodes!: Customer[];
  @Field(() => PageInfo) pageInfo!: PageInfo;

  /** Resolved by a field resolver, so the count runs only when a client selects it. */
  @Field(() => Int, { description: 'Counted only when asked for, with the same filter.' })
  totalCount!: number;

  /** Runs the count for this connection's filter; set by the service, not exposed. */
  countTotal!: () => Promise<number>;
}
