import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

/** `customer_addresses` (migration 1764100000000): soft-deleted (`deleted_at`). */
@Entity('customer_addresses')
@Check('customer_addresses_type_check', `type IN ('SHIPPING', 'BILLING')`)
@Check('customer_addresses_country_code_check', `country_code ~ '^[A-Z]{2}$'`)
// Partial: one live default per customer and type; and the per-customer list. Migration only.
@Index('uq_addresses_one_default', { synchronize: false })
@Index('idx_addresses_customer_id', { synchronize: false })
export class CustomerAddressEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_addresses_pkey' })
  id!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_addresses_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('varchar', { length: 10, default: 'SHIPPING' })
  type!: string;

  @Column('varchar', { name: 'first_name', length: 100, nullable: true })
  firstName!: string | null;

  @Column('varchar', { name: 'last_name', length: 100, nullable: true })
  lastName!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  company!: string | null;

  @Column('varchar', { name: 'address_line_1', length: 255 })
  addressLine1!: string;

  @Column('varchar', { name: 'address_line_2', length: 255, nullable: true })
  addressLine2!: string | null;

  @Column('varchar', { length: 100 })
  city!: string;

  @Column('varchar', { name: 'state_province', length: 100, nullable: true })
  stateProvince!: string | null;

  @Column('varchar', { name: 'postal_code', length: 20, nullable: true })
  postalCode!: string | null;

  @Column('char', { name: 'country_code', length: 2 })
  countryCode!: string;

  @Column('varchar', { length: 20, nullable: true })
  phone!: string | null;

  @Column('varchar', { length: 50, nullable: true })
  label!: string | null;

  @Column('boolean', { name: 'is_default', default: false })
  isDefault!: boolean;

  @Column('boolean', { name: 'is_verified', default: false })
  isVerified!: boolean;

  @Column('jsonb', { default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;
}
