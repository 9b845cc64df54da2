import type { Actor } from '../../auth/actor';
import { Transactor } from '../../db/unit-of-work';
import { lockCustomer } from '../../db/locks';
import { DomainError } from '../../errors/domain-error';
import { MAX_WISHLIST_ITEMS, toWishlistRecord, WISHLIST_COLUMNS, WishlistRecord, WishlistRow } from './wishlist.record';

function productId(raw: string): string {
  const id = raw.trim();
  if (!id || id.length > 100) throw DomainError.badInput('productId', 'must be 1 to 100 characters');
  return id;
}

export class WishlistService {
  constructor(private readonly work: Transactor) {}

  /** Idempotent: adding a product twice keeps one item (and returns it). */
  async add(customerId: string, rawProductId: string, actor: Actor): Promise<WishlistRecord> {
    const pid = productId(rawProductId);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const [existing] = await tx.query<WishlistRow>(
        `SELECT ${WISHLIST_COLUMNS} FROM customer_wishlist_items w WHERE w.customer_id = $1 AND w.product_id = $2`,
        [customerId, pid],
      );
      if (existing) return toWishlistRecord(existing);
      const [{ n }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_wishlist_items WHERE customer_id = $1', [customerId]);
      if (n >= MAX_WISHLIST_ITEMS) throw DomainError.badInput('productId', `a wishlist holds at most ${MAX_WISHLIST_ITEMS} products`);
      const [row] = await tx.query<WishlistRow>(
        `INSERT INTO customer_wishlist_items AS w (customer_id, product_id) VALUES ($1, $2) RETURNING ${WISHLIST_COLUMNS}`,
        [customerId, pid],
      );
      w.audit({ eventType: 'customer.wishlist.add', customerId, resourceId: row.id, operation: 'create', newValues: { productId: pid } });
      w.emit({ type: 'customer.wishlist.item_added', customerId, data: { customerId, productId: pid } });
      return toWishlistRecord(row);
    });
  }

  /** False when the product was not on the wishlist. */
  async remove(customerId: string, rawProductId: string, actor: Actor): Promise<boolean> {
    const pid = productId(rawProductId);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const rows = await tx.query<{ id: string }>('DELETE FROM customer_wishlist_items WHERE customer_id = $1 AND product_id = $2 RETURNING id', [
        customerId,
        pid,
      ]);
      if (rows.length === 0) return false;
      w.audit({ eventType: 'customer.wishlist.remove', customerId, resourceId: rows[0].id, operation: 'delete', oldValues: { productId: pid } });
      w.emit({ type: 'customer.wishlist.item_removed', customerId, data: { customerId, productId: pid } });
      return true;
    });
  }
}
