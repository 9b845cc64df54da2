import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** `customer_groups` (migration 1764000000000). */
@Entity('customer_groups')
@Unique('uq_customer_groups_code', ['code'])
@Check('ck_customer_groups_code', `code ~ '^[A-Z0-9_]{1,50}$'`)
// Partial (`WHERE is_default`): at most one default group. Created by the migration only.
@Index('uq_customer_groups_default', { synchronize: false })
export class CustomerGroupEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_groups_pkey' })
  id!: string;

  @Column('varchar', { length: 50 })
  code!: string;

  @Column('varchar', { length: 100 })
  name!: string;

  @Column('varchar', { length: 500, nullable: true })
  description!: string | null;

  @Column('boolean', { name: 'is_default', default: false })
  isDefault!: boolean;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}
