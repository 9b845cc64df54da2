import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';
import { Customer } from '../customer/customer.type';

@ObjectType({ simpleResolvers: true })
export class AuthPayload {
  @Field(() => String, { nullable: true, description: 'Null while a second factor is still required.' })
  accessToken!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Customer, { nullable: true }) customer!: Customer | null;
  @Field() twoFactorRequired!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class TwoFactorSetup {
  @Field({ description: 'Base32 shared secret.' }) secret!: string;
  @Field({ description: 'otpauth://totp/... URI for authenticator apps.' }) otpauthUri!: string;
}

@ObjectType({ simpleResolvers: true })
export class TwoFactorRecoveryCodes {
  @Field(() => [String], { description: 'Shown once; each code works once.' }) codes!: string[];
}
