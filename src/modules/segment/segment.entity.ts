import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { SegmentRuleRecord } from './segment.rules';

/** `customer_segments` (migration 1764400000000). */
@Entity('customer_segments')
// On lower(name): created by the migration only.
@Index('uq_customer_segments_name', { synchronize: false })
export class CustomerSegmentEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_segments_pkey' })
  id!: string;

  @Column('varchar', { length: 100 })
  name!: string;

  @Column('varchar', { length: 500, nullable: true })
  description!: string | null;

  @Column('boolean', { name: 'is_active', default: true })
  isActive!: boolean;

  /** [{field, operator, value, weight}], checked against each field's type before it is stored. */
  @Column('jsonb')
  rules!: SegmentRuleRecord[];

  @Column('integer', { name: 'min_score', default: 1 })
  minScore!: number;

  @Column('timestamptz', { name: 'last_refreshed_at', nullable: true })
  lastRefreshedAt!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/**
 * `customer_segment_members`: no foreign keys, on purpose (a refresh inserts hundreds of
 * thousands of rows at once and the per-row checks were most of its time); the segment
 * repository removes memberships with their segment and with erasure.
 */
@Entity('customer_segment_members')
@Index('idx_segment_members_customer', { synchronize: false })
export class SegmentMemberEntity {
  @PrimaryColumn('uuid', { name: 'segment_id', primaryKeyConstraintName: 'customer_segment_members_pkey' })
  segmentId!: string;

  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_segment_members_pkey' })
  customerId!: string;

  @Column('timestamptz', { name: 'joined_at', default: () => 'now()' })
  joinedAt!: Date;
}
