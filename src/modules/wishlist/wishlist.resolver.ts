import { Arg, FieldResolver, ID, Mutation, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { Customer } from '../customer/customer.type';
import { WishlistItem } from './wishlist.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver(() => WishlistItem)
export class WishlistResolver {
  @Mutation(() => WishlistItem)
  async addToWishlist(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('productId', () => ID) _productId: string,
  ): Promise<WishlistItem> {
    throw DomainError.notImplemented('addToWishlist');
  }

  @Mutation(() => Boolean)
  async removeFromWishlist(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('productId', () => ID) _productId: string,
  ): Promise<boolean> {
    throw DomainError.notImplemented('removeFromWishlist');
  }
}

@Resolver(() => Customer)
export class CustomerWishlistFieldResolver {
  @FieldResolver(() => [WishlistItem])
  async wishlist(): Promise<WishlistItem[]> {
    throw DomainError.notImplemented('Customer.wishlist');
  }
}
