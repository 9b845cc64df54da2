import type { Actor } from '../../auth/actor';
import { Transactor } from '../../application/unit-of-work';
import { lockCustomer } from '../../db/locks';
import { DomainError } from '../../errors/domain-error';
import { MAX_WISHLIST_ITEMS, WishlistRecord } from './wishlist.record';
import { WishlistRepository } from './wishlist.repository';

function productId(raw: string): string {
  const id = raw.trim();
  if (!id || id.length > 100) throw DomainError.badInput('productId', 'must be 1 to 100 characters');
  return id;
}

export class WishlistService {
  constructor(
    private readonly work: Transactor,
    private readonly wishlists = new WishlistRepository(),
  ) {}

  /** Idempotent: adding a product twice keeps one item (and returns it). */
  async add(customerId: string, rawProductId: string, actor: Actor): Promise<WishlistRecord> {
    const pid = productId(rawProductId);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const existing = await this.wishlists.find(tx, customerId, pid);
      if (existing) return existing;
      const n = await this.wishlists.count(tx, customerId);
      if (n >= MAX_WISHLIST_ITEMS) throw DomainError.badInput('productId', `a wishlist holds at most ${MAX_WISHLIST_ITEMS} products`);
      const row = await this.wishlists.insert(tx, customerId, pid);
      w.audit({ eventType: 'customer.wishlist.add', customerId, resourceId: row.id, operation: 'create', newValues: { productId: pid } });
      w.emit({ type: 'customer.wishlist.item_added', customerId, data: { customerId, productId: pid } });
      return row;
    });
  }

  /** False when the product was not on the wishlist. */
  async remove(customerId: string, rawProductId: string, actor: Actor): Promise<boolean> {
    const pid = productId(rawProductId);
    return this.work.run(actor, async (w) => {
      const tx = w.tx;
      await lockCustomer(tx, customerId);
      const removed = await this.wishlists.remove(tx, customerId, pid);
      if (removed === null) return false;
      w.audit({ eventType: 'customer.wishlist.remove', customerId, resourceId: removed, operation: 'delete', oldValues: { productId: pid } });
      w.emit({ type: 'customer.wishlist.item_removed', customerId, data: { customerId, productId: pid } });
      return true;
    });
  }
}
