import { IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { AuditSeverity } from '../../common/enums';
import { DateTimeScalar } from '../../common/scalars';

@InputType()
export class AuditEventFilter {
  @Field(() => ID, { nullable: true }) @IsOptional() customerId?: string | null;
  // event_type is VARCHAR(100) in the original service.
  @Field(() => [String], { nullable: true }) @IsOptional() @MaxLength(100, { each: true }) eventTypes?: string[] | null;
  @Field(() => String, { nullable: true, description: 'e.g. customer.address. matches every address event.' })
  @IsOptional()
  @MaxLength(100)
  eventTypePrefix?: string | null;
  @Field(() => [AuditSeverity], { nullable: true }) @IsOptional() severity?: AuditSeverity[] | null;
  @Field(() => DateTimeScalar, { nullable: true }) @IsOptional() since?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) @IsOptional() until?: Date | null;
}
