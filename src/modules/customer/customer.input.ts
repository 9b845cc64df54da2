import { IsEmail, IsEnum, IsISO8601, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { CustomerOrderField, CustomerStatus, CustomerType, Gender, RegistrationSource, SortDirection } from '../../common/enums';
import { IsE164 } from '../../common/phone';
import { DateScalar, DateTimeScalar, JSONScalar } from '../../common/scalars';
import { keep, lowerCaseEmail, Normalize, phoneNumber } from '../../common/validation';
import { IsDeliverableDomain } from '../../common/email';

@InputType()
export class CreateCustomerInput {
  @Field() @Normalize(lowerCaseEmail) @IsEmail() @IsDeliverableDomain() @MaxLength(255) email!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true })
  @Normalize(phoneNumber)
  @IsOptional()
  @IsE164()
  phone?: string | null;
  @Field(() => DateScalar, { nullable: true }) @IsOptional() @IsISO8601({ strict: true }) dateOfBirth?: string | null;
  @Field(() => Gender, { nullable: true }) @IsOptional() @IsEnum(Gender) gender?: Gender | null;
  @Field(() => CustomerType, { nullable: true, defaultValue: CustomerType.INDIVIDUAL })
  @IsOptional()
  @IsEnum(CustomerType)
  customerType?: CustomerType | null;
  @Field(() => RegistrationSource, { nullable: true }) @IsOptional() @IsEnum(RegistrationSource) registrationSource?: RegistrationSource | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() groupId?: string | null;
  @Field(() => JSONScalar, { nullable: true }) @IsOptional() @IsObject({ message: 'metadata must be a JSON object' }) metadata?: Record<string, unknown> | null;
}

/** Absent fields stay as they are; an explicit null clears a nullable field. */
@InputType()
export class UpdateCustomerInput {
  @Field(() => String, { nullable: true }) @Normalize(lowerCaseEmail) @IsOptional() @IsEmail() @IsDeliverableDomain() @MaxLength(255) email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true })
  @Normalize(phoneNumber)
  @IsOptional()
  @IsE164()
  phone?: string | null;
  @Field(() => DateScalar, { nullable: true }) @IsOptional() @IsISO8601({ strict: true }) dateOfBirth?: string | null;
  @Field(() => Gender, { nullable: true }) @IsOptional() @IsEnum(Gender) gender?: Gender | null;
  @Field(() => CustomerType, { nullable: true }) @IsOptional() @IsEnum(CustomerType) customerType?: CustomerType | null;
  @Field(() => JSONScalar, { nullable: true }) @IsOptional() @IsObject({ message: 'metadata must be a JSON object' }) metadata?: Record<string, unknown> | null;
  @Field(() => String, {
    nullable: true,
    description: 'A customer changing their own email confirms it is them: their current password (if they have one) ...',
  })
  @Normalize(keep)
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string | null;
  @Field(() => String, { nullable: true, description: '... or, when two-factor is on, a TOTP or recovery code instead.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  twoFactorCode?: string | null;
}

@InputType()
export class CustomerFilter {
  @Field(() => [CustomerStatus], { nullable: true }) @IsOptional() @IsEnum(CustomerStatus, { each: true }) status?: CustomerStatus[] | null;
  @Field(() => CustomerType, { nullable: true }) @IsOptional() @IsEnum(CustomerType) customerType?: CustomerType | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsString() groupId?: string | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsString() segmentId?: string | null;
  @Field(() => String, { nullable: true, description: 'Full-text match on first and last name, or a prefix match on email.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string | null;
  @Field(() => Boolean, { nullable: true }) emailVerified?: boolean | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdAfter?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdBefore?: Date | null;
}

@InputType()
export class CustomerOrder {
  @Field(() => CustomerOrderField) @IsEnum(CustomerOrderField) field!: CustomerOrderField;
  @Field(() => SortDirection) @IsEnum(SortDirection) direction!: SortDirection;
}
