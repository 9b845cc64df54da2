import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * `outbox_events` (migration 1764200000000): CloudEvents waiting for the relay, in `seq`
 * order. No foreign key to customers: an event outlives the row it tells about.
 */
@Entity('outbox_events')
@Unique('uq_outbox_events_id', ['id'])
@Check('outbox_events_status_check', `status IN ('PENDING', 'SENT', 'DEAD')`)
// Partial (by status): created by the migration only.
@Index('idx_outbox_pending', { synchronize: false })
@Index('idx_outbox_customer_pending', { synchronize: false })
@Index('idx_outbox_sent', { synchronize: false })
export class OutboxEventEntity {
  /** BIGSERIAL: a string, as pg reads BIGINT. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'outbox_events_pkey' })
  seq!: string;

  @Column('uuid')
  id!: string;

  @Column('uuid', { name: 'customer_id', nullable: true })
  customerId!: string | null;

  @Column('varchar', { length: 100 })
  type!: string;

  @Column('jsonb')
  payload!: Record<string, unknown>;

  @Column('varchar', { length: 10, default: 'PENDING' })
  status!: string;

  @Column('integer', { default: 0 })
  attempts!: number;

  @Column('timestamptz', { name: 'last_attempted_at', nullable: true })
  lastAttemptedAt!: Date | null;

  @Column('timestamptz', { name: 'next_attempt_at', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'sent_at', nullable: true })
  sentAt!: Date | null;
}
