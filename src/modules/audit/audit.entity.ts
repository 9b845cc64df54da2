import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

/** `audit_events` (migration 1764200000000). Rows outlive their customer (`customer_id` set null). */
@Entity('audit_events')
@Check('audit_events_severity_check', `severity IN ('DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL')`)
// With DESC orderings TypeORM cannot describe: all created by the migration only.
@Index('idx_audit_events_customer_id', { synchronize: false })
@Index('idx_audit_events_event_type', { synchronize: false })
@Index('idx_audit_events_created_at', { synchronize: false })
@Index('idx_audit_events_resource_id', { synchronize: false })
@Index('idx_audit_events_operation', { synchronize: false })
@Index('idx_audit_events_customer_id_created_at', { synchronize: false })
@Index('idx_audit_events_event_type_created_at', { synchronize: false })
@Index('idx_audit_events_resource_operation', { synchronize: false })
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'audit_events_pkey' })
  id!: string;

  @Column('varchar', { name: 'event_type', length: 100 })
  eventType!: string;

  @Column('varchar', { length: 20, default: 'INFO' })
  severity!: string;

  @Column('uuid', { name: 'customer_id', nullable: true })
  @ForeignKey(() => CustomerEntity, { name: 'audit_events_customer_id_fkey', onDelete: 'SET NULL' })
  customerId!: string | null;

  @Column('uuid', { name: 'resource_id', nullable: true })
  resourceId!: string | null;

  @Column('varchar', { length: 50 })
  operation!: string;

  @Column('jsonb', { name: 'old_values', nullable: true })
  oldValues!: unknown;

  @Column('jsonb', { name: 'new_values', nullable: true })
  newValues!: unknown;

  @Column('text', { name: 'user_agent', nullable: true })
  userAgent!: string | null;

  @Column('inet', { name: 'ip_address', nullable: true })
  ipAddress!: string | null;

  @Column('varchar', { name: 'actor_id', length: 255, nullable: true })
  actorId!: string | null;

  @Column('varchar', { name: 'session_id', length: 255, nullable: true })
  sessionId!: string | null;

  @Column('varchar', { name: 'trace_id', length: 64, nullable: true })
  traceId!: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
