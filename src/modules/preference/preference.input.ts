import { IsBoolean, IsObject, IsOptional } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { JSONScalar } from '../../common/scalars';

@InputType()
export class PreferencesInput {
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() emailMarketing?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() smsMarketing?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() pushNotifications?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() newsletter?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() dataSharing?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() analyticsTracking?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() cookieConsent?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() orderUpdates?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() promotionalEmails?: boolean | null;

  @Field(() => JSONScalar, { nullable: true })
  @IsOptional()
  @IsObject({ message: 'custom must be a JSON object' })
  custom?: Record<string, unknown> | null;
}
