import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
export class CustomerPreferences {
  @Field() emailMarketing!: boolean;
  @Field() smsMarketing!: boolean;
  @Field() pushNotifications!: boolean;
  @Field() newsletter!: boolean;
  @Field() dataSharing!: boolean;
  @Field() analyticsTracking!: boolean;
  @Field() cookieConsent!: boolean;
  @Field() orderUpdates!: boolean;
  @Field() promotionalEmails!: boolean;
  @Field(() => JSONScalar) custom!: Record<string, unknown>;
  @Field(() => DateTimeScalar) updatedAt!: Date;

  /** Whose preferences these are; consentLog resolves through it. Not exposed. */
  customerId!: string;
}

@ObjectType({ simpleResolvers: true })
export class ConsentRecord {
  @Field({ description: 'The preference it changed, e.g. emailMarketing.' }) channel!: string;
  @Field() granted!: boolean;
  @Field(() => String, { nullable: true, description: 'Where it was collected: WEBSITE, MOBILE_APP, ADMIN, IMPORT, API.' })
  source!: string | null;
  @Field(() => String, { nullable: true }) ipAddress!: string | null;
  @Field(() => DateTimeScalar) recordedAt!: Date;
}
