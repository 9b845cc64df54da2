import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { toWishlistRecord, WISHLIST_COLUMNS, WishlistRecord, WishlistRow } from './wishlist.record';

/** Wishlists of many customers in one statement, newest first. */
export function wishlistByCustomerLoader(db: Queryable) {
  return new DataLoader<string, WishlistRecord[]>(async (customerIds) => {
    const rows = await db.query<WishlistRow>(
      `SELECT ${WISHLIST_COLUMNS} FROM customer_wishlist_items w
        WHERE w.customer_id = ANY($1::uuid[]) ORDER BY w.added_at DESC, w.id DESC`,
      [customerIds.filter(isUuid)],
    );
    const by = groupBy(rows.map(toWishlistRecord), (r) => r.customerId);
    return customerIds.map((id) => by.get(id) ?? []);
  });
}
