import { Field, ID, ObjectType } from 'type-graphql';
import { AuditSeverity } from '../../common/enums';
import { PageInfo } from '../../common/page-info.type';
import { DateTimeScalar, JSONScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true })
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field({ description: 'customer.profile.update, customer.address.default_changed, customer.login.failed, ...' })
  eventType!: string;
  @Field(() => AuditSeverity) severity!: AuditSeverity;
  @Field(() => ID, { nullable: true }) customerId!: string | null;
  @Field(() => ID, { nullable: true }) resourceId!: string | null;
  @Field({ description: 'create, update, delete, login, logout, ...' }) operation!: string;
  @Field(() => JSONScalar, { nullable: true }) oldValues!: unknown;
  @Field(() => JSONScalar, { nullable: true }) newValues!: unknown;
  @Field(() => ID, { nullable: true }) actorId!: string | null;
  @Field(() => String, { nullable: true }) ipAddress!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => String, { nullable: true }) traceId!: string | null;
  @Field(() => JSONScalar) metadata!: Record<string, unknown>;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class AuditEventEdge {
  @Field() cursor!: string;
  @Field(() => AuditEvent) node!: AuditEvent;
}

@ObjectType({ simpleResolvers: true })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => [AuditEvent]) nodes!: AuditEvent[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
