/** A wishlist item as the services return it; `product` is a reference the gateway resolves. */
export interface WishlistRecord {
  id: string;
  customerId: string;
  product: { id: string };
  addedAt: Date;
}

export const WISHLIST_COLUMNS = `w.id, w.customer_id AS "customerId", w.product_id AS "productId", w.added_at AS "addedAt"`;

export type WishlistRow = Omit<WishlistRecord, 'product'> & { productId: string };

export function toWishlistRecord({ productId, ...row }: WishlistRow): WishlistRecord {
  return { ...row, product: { id: productId } };
}

export const MAX_WISHLIST_ITEMS = 500;
