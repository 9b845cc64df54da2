/** A wishlist item as the services return it; `product` is a reference the gateway resolves. */
export interface WishlistRecord {
  id: string;
  customerId: string;
  product: { id: string };
  addedAt: Date;
}

export const MAX_WISHLIST_ITEMS = 500;
