import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { sees } from '../../auth/authorize';
import { pageSize } from '../../common/cursor';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import type { ActorField, AuditRecord } from './audit.record';
import { AuditEventFilter } from './audit.input';
import { auditTrailKey } from './audit.loader';
import { AUDIT_EVENTS_DEFAULT_FIRST, AUDIT_TRAIL_DEFAULT_FIRST, AuditPage, decodeAuditCursor } from './audit.service';
import { AuditEvent, AuditEventConnection } from './audit.type';

/** One of the ACTOR_FIELDS, where SEES_ACTOR lets the viewer see it; else null. */
function actorPart(e: AuditRecord, ctx: Context, field: ActorField): string | null {
  return sees(`AuditEvent.${field}`, ctx.viewer, e) ? e[field] : null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'ADMIN. Newest first.' })
  async auditEvents(
    @Ctx() ctx: Context,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter?: AuditEventFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: AUDIT_EVENTS_DEFAULT_FIRST }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditPage> {
    return ctx.services.audit.list(filter, first, after);
  }

  // A customer reading their own trail sees that an ADMIN or a service changed something, not
  // who or from where (as in their GDPR export): SEES_ACTOR in src/auth/rules.ts.
  @FieldResolver(() => ID, { nullable: true })
  actorId(@Root() e: AuditRecord, @Ctx() ctx: Context): string | null {
    return actorPart(e, ctx, 'actorId');
  }

  @FieldResolver(() => String, { nullable: true })
  ipAddress(@Root() e: AuditRecord, @Ctx() ctx: Context): string | null {
    return actorPart(e, ctx, 'ipAddress');
  }

  @FieldResolver(() => String, { nullable: true })
  userAgent(@Root() e: AuditRecord, @Ctx() ctx: Context): string | null {
    return actorPart(e, ctx, 'userAgent');
  }

  // A staff member's session and the trace of their request are theirs too (the trace leads to
  // the staff request's logs and spans).
  @FieldResolver(() => ID, { nullable: true })
  sessionId(@Root() e: AuditRecord, @Ctx() ctx: Context): string | null {
    return actorPart(e, ctx, 'sessionId');
  }

  @FieldResolver(() => String, { nullable: true })
  traceId(@Root() e: AuditRecord, @Ctx() ctx: Context): string | null {
    return actorPart(e, ctx, 'traceId');
  }
}

@Resolver(() => Customer)
export class CustomerAuditTrailFieldResolver {
  /** One loader: a page of customers costs one audit statement, whatever its length. */
  @FieldResolver(() => AuditEventConnection, { description: 'Newest first. OWNER sees their own trail; ADMIN any.' })
  async auditTrail(
    @Root() c: CustomerRecord,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, defaultValue: AUDIT_TRAIL_DEFAULT_FIRST }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditPage> {
    const limit = pageSize(first, AUDIT_TRAIL_DEFAULT_FIRST);
    if (after) decodeAuditCursor(after); // refused here, for this field only, never inside a shared batch
    return ctx.loaders.auditTrail.load(auditTrailKey(c.id, limit, after));
  }
}
