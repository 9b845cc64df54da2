import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { AddressType } from '../../common/enums';
import { DateTimeScalar, JSONScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
@Directive('@key(fields: "id")')
export class CustomerAddress {
  @Field(() => ID) id!: string;
  @Field(() => ID) customerId!: string;
  @Field(() => AddressType) type!: AddressType;
  @Field(() => String, { nullable: true }) firstName!: string | null;
  @Field(() => String, { nullable: true }) lastName!: string | null;
  @Field(() => String, { nullable: true }) company!: string | null;
  @Field() addressLine1!: string;
  @Field(() => String, { nullable: true }) addressLine2!: string | null;
  @Field() city!: string;
  @Field(() => String, { nullable: true }) stateProvince!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "Normalised for the country (e.g. US 10001 or 10001-1234, GB 'SW1A 1AA', CA 'K1A 0B1').",
  })
  postalCode!: string | null;
  @Field({ description: 'ISO 3166-1 alpha-2, upper case.' }) countryCode!: string;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => String, { nullable: true }) label!: string | null;
  @Field() isDefault!: boolean;
  @Field() isVerified!: boolean;
  @Field(() => JSONScalar) metadata!: Record<string, unknown>;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}
