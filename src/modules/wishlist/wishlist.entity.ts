import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CustomerEntity } from '../customer/customer.entity';

/** `customer_wishlist_items` (migration 1764100000000): a product at most once per customer. */
@Entity('customer_wishlist_items')
@Unique('uq_wishlist_customer_product', ['customerId', 'productId'])
@Index('idx_wishlist_customer_added', { synchronize: false })
export class WishlistItemEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'customer_wishlist_items_pkey' })
  id!: string;

  @Column('uuid', { name: 'customer_id' })
  @ForeignKey(() => CustomerEntity, { name: 'customer_wishlist_items_customer_id_fkey', onDelete: 'CASCADE' })
  customerId!: string;

  @Column('varchar', { name: 'product_id', length: 100 })
  productId!: string;

  @Column('timestamptz', { name: 'added_at', default: () => 'now()' })
  addedAt!: Date;
}
