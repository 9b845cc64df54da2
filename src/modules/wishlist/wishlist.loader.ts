import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { WishlistRecord } from './wishlist.record';
import { WishlistRepository } from './wishlist.repository';

const wishlists = new WishlistRepository();

/** Wishlists of many customers in one statement, newest first. */
export function wishlistByCustomerLoader(db: Queryable) {
  return new DataLoader<string, WishlistRecord[]>(async (customerIds) => {
    const rows = await wishlists.byCustomers(db, customerIds.filter(isUuid));
    const by = groupBy(rows, (r) => r.customerId);
    return customerIds.map((id) => by.get(id) ?? []);
  });
}
