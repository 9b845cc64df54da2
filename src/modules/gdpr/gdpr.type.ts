import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
export class DeletionReceipt {
  @Field(() => ID) customerId!: string;
  @Field(() => DateTimeScalar) deletedAt!: Date;
  @Field() anonymized!: boolean;
}
