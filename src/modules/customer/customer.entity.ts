import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerGroupEntity } from '../group/group.entity';

/**
 * `customers` (migration 1764000000000): the profile, and nothing secret. Password hashes,
 * TOTP secrets, tokens and sessions are entities of their own (modules/auth/auth.entity.ts),
 * so loading a customer can never load one of them.
 */
@Entity('customers')
@Check('customers_gender_check', `gender IN ('MALE', 'FEMALE', 'OTHER', 'UNDISCLOSED')`)
@Check('customers_customer_type_check', `customer_type IN ('INDIVIDUAL', 'BUSINESS')`)
@Check('customers_status_check', `status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'DELETED')`)
@Check('customers_registration_source_check', `registration_source IN ('WEBSITE', 'MOBILE_APP', 'ADMIN', 'IMPORT', 'API', 'SOCIAL')`)
// Expression and partial indexes, created by the migration only (TypeORM cannot describe them).
@Index('uq_customers_email', { synchronize: false })
@Index('idx_customers_email_prefix', { synchronize: false })
@Index('idx_customers_status', { synchronize: false })
@Index('idx_customers_group', { synchronize: false })
@Index('idx_customers_created_keyset', { synchronize: false })
@Index('idx_customers_email_keyset', { synchronize: false })
@Index('idx_customers_last_name_keyset', { synchronize: false })
@Index('idx_customers_full_name', { synchronize: false })
export class CustomerEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customers_pkey' })
  id!: string;

  @Column('varchar', { length: 255 })
  email!: string;

  @Column('varchar', { name: 'first_name', length: 100, nullable: true })
  firstName!: string | null;

  @Column('varchar', { name: 'last_name', length: 100, nullable: true })
  lastName!: string | null;

  @Column('varchar', { length: 20, nullable: true })
  phone!: string | null;

  /** 'YYYY-MM-DD' (both drivers are told not to make a Date of it). */
  @Column('date', { name: 'date_of_birth', nullable: true })
  dateOfBirth!: string | null;

  @Column('varchar', { length: 20, nullable: true })
  gender!: string | null;

  @Column('varchar', { name: 'customer_type', length: 20, default: 'INDIVIDUAL' })
  customerType!: string;

  @Column('varchar', { length: 20, default: 'ACTIVE' })
  status!: string;

  @Column('boolean', { name: 'email_verified', default: false })
  emailVerified!: boolean;

  @Column('boolean', { name: 'two_factor_enabled', default: false })
  twoFactorEnabled!: boolean;

  @Column('varchar', { name: 'registration_source', length: 20, nullable: true })
  registrationSource!: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  @Column('uuid', { name: 'group_id', nullable: true })
  @ForeignKey(() => CustomerGroupEntity, { name: 'customers_group_id_fkey' })
  groupId!: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;
}
