import { Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

/** `customer_preferences` (migration 1764000000000): one row per customer; marketing consents default to off. */
@Entity('customer_preferences')
export class CustomerPreferencesEntity {
  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_preferences_pkey' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_preferences_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('boolean', { name: 'email_marketing', default: false })
  emailMarketing!: boolean;

  @Column('boolean', { name: 'sms_marketing', default: false })
  smsMarketing!: boolean;

  @Column('boolean', { name: 'push_notifications', default: false })
  pushNotifications!: boolean;

  @Column('boolean', { default: false })
  newsletter!: boolean;

  @Column('boolean', { name: 'data_sharing', default: false })
  dataSharing!: boolean;

  @Column('boolean', { name: 'analytics_tracking', default: false })
  analyticsTracking!: boolean;

  @Column('boolean', { name: 'cookie_consent', default: false })
  cookieConsent!: boolean;

  @Column('boolean', { name: 'order_updates', default: true })
  orderUpdates!: boolean;

  @Column('boolean', { name: 'promotional_emails', default: false })
  promotionalEmails!: boolean;

  @Column('jsonb', { name: 'custom_preferences', default: () => "'{}'" })
  customPreferences!: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/** `consent_log` (migrations 1764000000000, 1764510000000): one row per consent given or withdrawn. */
@Entity('consent_log')
@Index('idx_consent_log_customer', { synchronize: false })
export class ConsentLogEntity {
  /** BIGSERIAL: a string, as pg reads BIGINT. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'consent_log_pkey' })
  id!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'consent_log_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('varchar', { length: 50 })
  channel!: string;

  @Column('boolean')
  granted!: boolean;

  @Column('varchar', { length: 20, nullable: true })
  source!: string | null;

  @Column('inet', { name: 'ip_address', nullable: true })
  ipAddress!: string | null;

  @Column('timestamptz', { name: 'recorded_at', default: () => 'now()' })
  recordedAt!: Date;

  /** Who recorded it: a customer id, or a staff member's or service's subject (as audit_events.actor_id). */
  @Column('varchar', { name: 'actor_id', length: 255, nullable: true })
  actorId!: string | null;
}
