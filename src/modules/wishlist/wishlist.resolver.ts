import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import type { WishlistRecord } from './wishlist.record';
import { WishlistItem } from './wishlist.type';

@Resolver(() => WishlistItem)
export class WishlistResolver {
  @Mutation(() => WishlistItem)
  addToWishlist(@Arg('customerId', () => ID) customerId: string, @Arg('productId', () => ID) productId: string, @Ctx() ctx: Context): Promise<WishlistRecord> {
    return ctx.services.wishlist.add(customerId, productId, ctx);
  }

  @Mutation(() => Boolean)
  removeFromWishlist(@Arg('customerId', () => ID) customerId: string, @Arg('productId', () => ID) productId: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.wishlist.remove(customerId, productId, ctx);
  }
}

@Resolver(() => Customer)
export class CustomerWishlistFieldResolver {
  @FieldResolver(() => [WishlistItem], { description: 'Newest first.' })
  wishlist(@Root() c: CustomerRecord, @Ctx() ctx: Context): Promise<WishlistRecord[]> {
    return ctx.loaders.wishlistByCustomer.load(c.id);
  }
}
