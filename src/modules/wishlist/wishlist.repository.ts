import type { Queryable } from '../../db/database';
import { WishlistItemEntity } from './wishlist.entity';
import type { WishlistRecord } from './wishlist.record';

/** What a WishlistRecord reads of the entity. */
const RECORD = ['id', 'customerId', 'productId', 'addedAt'] as const satisfies readonly (keyof WishlistItemEntity)[];
type Row = Pick<WishlistItemEntity, (typeof RECORD)[number]>;
const SELECT = Object.fromEntries(RECORD.map((p) => [p, true])) as Record<(typeof RECORD)[number], true>;
/** The same, as a RETURNING list (a written row comes back in the same statement). */
const RETURNING = 'id, customer_id AS "customerId", product_id AS "productId", added_at AS "addedAt"';

function toRecord(row: Row): WishlistRecord {
  return { id: row.id, customerId: row.customerId, product: { id: row.productId }, addedAt: row.addedAt };
}

/** A wishlist item as the data export shows it (the row, oldest first). */
export interface WishlistExportRow {
  id: string;
  customerId: string;
  productId: string;
  addedAt: Date;
}

/**
 * `customer_wishlist_items`: the only code that reads or writes it. Each method takes the
 * database or the unit of work's transaction (`Queryable`) and sends one statement.
 */
export class WishlistRepository {
  /** The items of many customers, newest first. `= ANY(:ids)`: one statement text whatever the number of ids. */
  async byCustomers(q: Queryable, customerIds: readonly string[]): Promise<WishlistRecord[]> {
    const rows = await q.manager
      .createQueryBuilder(WishlistItemEntity, 'w')
      .select(RECORD.map((p) => `w.${p}`))
      .where('w.customerId = ANY(:ids::uuid[])', { ids: customerIds })
      .orderBy('w.addedAt', 'DESC')
      .addOrderBy('w.id', 'DESC')
      .getMany();
    return rows.map(toRecord);
  }

  async find(q: Queryable, customerId: string, productId: string): Promise<WishlistRecord | null> {
    const row = await q.manager.findOne(WishlistItemEntity, { select: SELECT, where: { customerId, productId } });
    return row && toRecord(row);
  }

  count(q: Queryable, customerId: string): Promise<number> {
    return q.manager.countBy(WishlistItemEntity, { customerId });
  }

  async insert(tx: Queryable, customerId: string, productId: string): Promise<WishlistRecord> {
    const res = await tx.manager.createQueryBuilder().insert().into(WishlistItemEntity).values({ customerId, productId }).returning(RETURNING).execute();
    return toRecord((res.raw as Row[])[0]);
  }

  /** The removed item's id; null when the product was not on the wishlist. */
  async remove(tx: Queryable, customerId: string, productId: string): Promise<string | null> {
    const res = await tx.manager
      .createQueryBuilder()
      .delete()
      .from(WishlistItemEntity)
      .where('customer_id = :customerId AND product_id = :productId', { customerId, productId })
      .returning('id')
      .execute();
    return (res.raw as { id: string }[])[0]?.id ?? null;
  }

  /** GDPR erasure: the whole wishlist goes (README, "What we keep and why"). */
  async erasePersonal(tx: Queryable, customerId: string): Promise<void> {
    await tx.manager.delete(WishlistItemEntity, { customerId });
  }

  /** GDPR export: every item, oldest first. */
  exportPersonal(q: Queryable, customerId: string): Promise<WishlistExportRow[]> {
    return q.manager
      .createQueryBuilder(WishlistItemEntity, 'w')
      .select('w.id', 'id')
      .addSelect('w.customer_id', 'customerId')
      .addSelect('w.product_id', 'productId')
      .addSelect('w.added_at', 'addedAt')
      .where('w.customer_id = :customerId', { customerId })
      .orderBy('w.added_at')
      .addOrderBy('w.id')
      .getRawMany<WishlistExportRow>();
  }
}
