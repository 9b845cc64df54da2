import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

/**
 * `customer_statistics` (migration 1764400000000). Amounts are exact decimals, read as
 * strings (NUMERIC never becomes a float); the average is derived, never stored.
 */
@Entity('customer_statistics')
@Check('customer_statistics_total_orders_check', 'total_orders >= 0')
@Check('customer_statistics_total_spent_check', 'total_spent >= 0')
export class CustomerStatisticsEntity {
  @PrimaryColumn('uuid', { name: 'customer_id', primaryKeyConstraintName: 'customer_statistics_pkey' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_statistics_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('integer', { name: 'total_orders', default: 0 })
  totalOrders!: number;

  @Column('numeric', { name: 'total_spent', precision: 14, scale: 2, default: 0 })
  totalSpent!: string;

  @Column('char', { name: 'currency_code', length: 3 })
  currencyCode!: string;

  @Column('timestamptz', { name: 'first_order_at', nullable: true })
  firstOrderAt!: Date | null;

  @Column('timestamptz', { name: 'last_order_at', nullable: true })
  lastOrderAt!: Date | null;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

/** `customer_order_ledger`: one row per order and kind, the idempotency key of order events. */
@Entity('customer_order_ledger')
@Check('customer_order_ledger_kind_check', `kind IN ('COMPLETED', 'REFUNDED')`)
@Check('customer_order_ledger_amount_check', 'amount >= 0')
@Index('idx_order_ledger_customer', { synchronize: false })
export class OrderLedgerEntity {
  @PrimaryColumn('varchar', { name: 'order_id', length: 100, primaryKeyConstraintName: 'customer_order_ledger_pkey' })
  orderId!: string;

  @PrimaryColumn('varchar', { length: 20, primaryKeyConstraintName: 'customer_order_ledger_pkey' })
  kind!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_order_ledger_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('numeric', { precision: 14, scale: 2 })
  amount!: string;

  @Column('char', { name: 'currency_code', length: 3 })
  currencyCode!: string;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('timestamptz', { name: 'applied_at', default: () => 'now()' })
  appliedAt!: Date;
}
