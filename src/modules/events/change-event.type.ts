import { Field, ID, ObjectType } from 'type-graphql';
import { CustomerEventType } from '../../common/enums';
import { DateTimeScalar } from '../../common/scalars';
import { Customer } from '../customer/customer.type';

@ObjectType({ simpleResolvers: true })
export class CustomerChangeEvent {
  @Field(() => ID, { description: 'The outbox event id; the same id a consumer of the event stream sees.' })
  eventId!: string;
  @Field(() => CustomerEventType) type!: CustomerEventType;
  @Field(() => ID) customerId!: string;
  @Field(() => Customer, { nullable: true, description: 'The customer as committed; null after deletion.' })
  customer!: Customer | null;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}
