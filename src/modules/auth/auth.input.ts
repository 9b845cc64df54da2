import { IsEmail, IsOptional, MaxLength, MinLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { RegistrationSource } from '../../common/enums';
import { IsE164 } from '../../common/phone';
import { keep, lowerCaseEmail, Normalize, phoneNumber } from '../../common/validation';
import { IsDeliverableDomain } from '../../common/email';

// Lengths match the customers columns of the original service.

@InputType()
export class RegisterInput {
  @Field() @Normalize(lowerCaseEmail) @IsEmail() @IsDeliverableDomain() @MaxLength(255) email!: string;
  // Passwords are taken exactly as typed: no trimming.
  @Field() @Normalize(keep) @MinLength(8) password!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true }) @Normalize(phoneNumber) @IsOptional() @IsE164() phone?: string | null;
  @Field(() => RegistrationSource, { nullable: true }) @IsOptional() registrationSource?: RegistrationSource | null;
}

@InputType()
export class LoginInput {
  // No format check: a malformed email must fail like any unknown one (INVALID_CREDENTIALS).
  @Field() @Normalize(lowerCaseEmail) @MaxLength(255) email!: string;
  @Field() @Normalize(keep) password!: string;
  @Field(() => String, { nullable: true, description: 'TOTP code or a recovery code, when two-factor is on.' })
  @IsOptional()
  @MaxLength(64)
  twoFactorCode?: string | null;
}
