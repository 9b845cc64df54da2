import { Arg, FieldResolver, Int, Query, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { Customer } from '../customer/customer.type';
import { AuditEventFilter } from './audit.input';
import { AuditEvent, AuditEventConnection } from './audit.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'ADMIN. Newest first.' })
  async auditEvents(
    @Arg('filter', () => AuditEventFilter, { nullable: true }) _filter?: AuditEventFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) _first?: number | null,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): Promise<AuditEventConnection> {
    throw DomainError.notImplemented('auditEvents');
  }
}

@Resolver(() => Customer)
export class CustomerAuditTrailFieldResolver {
  @FieldResolver(() => AuditEventConnection, { description: 'Newest first. OWNER sees their own trail; ADMIN any.' })
  async auditTrail(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) _first?: number | null,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): Promise<AuditEventConnection> {
    throw DomainError.notImplemented('Customer.auditTrail');
  }
}
