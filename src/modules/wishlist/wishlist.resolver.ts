import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { policy } from '../../auth/policy';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import type { WishlistRecord } from './wishlist.record';
import { WishlistItem } from './wishlist.type';

@Resolver(() => WishlistItem)
export class WishlistResolver {
  @Mutation(() => WishlistItem)
  addToWishlist(@Arg('customerId', () => ID) customerId: string, @Arg('productId', () => ID) productId: string, @Ctx() ctx: Context): Promise<WishlistRecord> {
    policy.requireOwnerOrAdmin(ctx.viewer, customerId);
    return ctx.services.wishlist.add(customerId, productId, ctx);
  }

  @Mutation(() => Boolean)
  removeFromWishlist(@Arg('customerId', () => ID) customerId: string, @Arg('productId', () => ID) productId: string, @Ctx() ctx: Context): Promise<boolean> {
    policy.requireOwnerOrAdmin(ctx.viewer, customerId);
    return ctx.services.wishlist.remove(customerId, productId, ctx);
  }
}

@Resolver(() => Customer)
export class CustomerWishlistFieldResolver {
  @FieldResolver(() => [WishlistItem], { description: 'Newest first.' })
  wishlist(@Root() c: CustomerRecord, @Ctx() ctx: Context): Promise<WishlistRecord[]> {
    policy.requireOwnedResource(ctx.viewer, c.id, 'Wishlist');
    return ctx.loaders.wishlistByCustomer.load(c.id);
  }
}
