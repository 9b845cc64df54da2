import { IsEmail, IsOptional, MaxLength, MinLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { RegistrationSource } from '../../common/enums';

// Lengths match the customers columns of the original service.

@InputType()
export class RegisterInput {
  @Field() @IsEmail() @MaxLength(255) email!: string;
  @Field() @MinLength(8) password!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) firstName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) lastName?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) phone?: string | null;
  @Field(() => RegistrationSource, { nullable: true }) @IsOptional() registrationSource?: RegistrationSource | null;
}

@InputType()
export class LoginInput {
  // No format check: a malformed email must fail like any unknown one (INVALID_CREDENTIALS).
  @Field() @MaxLength(255) email!: string;
  @Field() password!: string;
  @Field(() => String, { nullable: true, description: 'TOTP code or a recovery code, when two-factor is on.' })
  @IsOptional()
  @MaxLength(64)
  twoFactorCode?: string | null;
}
