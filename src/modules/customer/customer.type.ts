import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { CustomerStatus, CustomerType, Gender, RegistrationSource } from '../../common/enums';
import { DateScalar, DateTimeScalar, JSONScalar } from '../../common/scalars';

/**
 * The public shape of a customer. Services return plain objects of this shape (selected
 * columns only); the password hash and other secrets live in other tables and never here.
 * Fan-out fields (group, preferences, addresses, ...) are resolved by field resolvers
 * through per-request loaders.
 */
@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class Customer {
  @Field(() => ID) id!: string;
  @Field() email!: string;
  @Field(() => String, { nullable: true }) firstName!: string | null;
  @Field(() => String, { nullable: true }) lastName!: string | null;
  @Field(() => String, { nullable: true, description: 'E.164, e.g. +14155550123.' }) phone!: string | null;
  @Field(() => DateScalar, { nullable: true }) dateOfBirth!: string | null;
  @Field(() => Gender, { nullable: true }) gender!: Gender | null;
  @Field(() => CustomerType) customerType!: CustomerType;
  @Field(() => CustomerStatus) status!: CustomerStatus;
  @Field() emailVerified!: boolean;
  @Field() twoFactorEnabled!: boolean;
  @Field(() => RegistrationSource, { nullable: true }) registrationSource!: RegistrationSource | null;
  @Field(() => JSONScalar) metadata!: Record<string, unknown>;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;

  /** Not exposed directly: `group` resolves it through a loader. */
  groupId!: string | null;
}
