import { IsBoolean, IsEnum, IsNotEmpty, IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { AddressType } from '../../common/enums';
import { JSONScalar } from '../../common/scalars';
import { Normalize } from '../../common/validation';

const upperCase = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() || null : v);

// Lengths match the customer_addresses columns of the original service.

@InputType()
export class AddressInput {
  @Field(() => AddressType, { nullable: true, defaultValue: AddressType.SHIPPING })
  @IsOptional()
  @IsEnum(AddressType)
  type?: AddressType | null;

  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(255) company?: string | null;
  @Field() @IsNotEmpty({ message: 'addressLine1 is required' }) @MaxLength(255) addressLine1!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(255) addressLine2?: string | null;
  @Field() @IsNotEmpty({ message: 'city is required' }) @MaxLength(100) city!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) stateProvince?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) postalCode?: string | null;
  @Field() @Normalize(upperCase) @IsString() @Length(2, 2) countryCode!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(50) label?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  @IsOptional()
  @IsBoolean()
  isDefault?: boolean | null;

  @Field(() => JSONScalar, { nullable: true }) @IsOptional() @IsObject({ message: 'metadata must be a JSON object' }) metadata?: Record<string, unknown> | null;
}

@InputType()
export class AddressUpdateInput {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(255) company?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(255) addressLine1?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(255) addressLine2?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) city?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) stateProvince?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) postalCode?: string | null;
  @Field(() => String, { nullable: true }) @Normalize(upperCase) @IsOptional() @Length(2, 2) countryCode?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(50) label?: string | null;
  @Field(() => JSONScalar, { nullable: true }) @IsOptional() @IsObject({ message: 'metadata must be a JSON object' }) metadata?: Record<string, unknown> | null;
}
