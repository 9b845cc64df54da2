import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Mutation, Resolver, Root } from 'type-graphql';
import { authorizeLoaded } from '../../auth/authorize';
import { AddressType } from '../../common/enums';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import { fieldsUnderAll } from '../../common/selection';
import { ADDRESS_FIELDS } from './address.attach';
import { addressProperties, AddressRecord } from './address.record';
import { AddressInput, AddressUpdateInput } from './address.input';
import { CustomerAddress } from './address.type';

/**
 * A change to an address found by its id: the rule about its owner (src/auth/rules.ts, `then`)
 * needs the address loaded, so it is checked here; a missing one is nobody's (NOT_FOUND).
 */
async function authorizeOwner(ctx: Context, coordinate: string, addressId: string): Promise<void> {
  const address = await ctx.loaders.addressById.load(addressId);
  authorizeLoaded(coordinate, ctx.viewer, address ?? { customerId: null });
}

@Resolver(() => CustomerAddress)
export class AddressResolver {
  @Mutation(() => CustomerAddress)
  createAddress(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('input', () => AddressInput) input: AddressInput,
    @Ctx() ctx: Context,
  ): Promise<AddressRecord> {
    return ctx.services.addresses.create(customerId, input, ctx);
  }

  @Mutation(() => CustomerAddress)
  async updateAddress(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => AddressUpdateInput) input: AddressUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<AddressRecord> {
    await authorizeOwner(ctx, 'Mutation.updateAddress', id);
    return ctx.services.addresses.update(id, input, ctx);
  }

  @Mutation(() => Boolean, {
    description: 'Soft delete; when it was the default, the newest other address of that type becomes default in the same transaction.',
  })
  async deleteAddress(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    await authorizeOwner(ctx, 'Mutation.deleteAddress', id);
    return ctx.services.addresses.delete(id, ctx);
  }

  @Mutation(() => CustomerAddress, { description: 'Makes it the only default of its type.' })
  setDefaultAddress(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('addressId', () => ID) addressId: string,
    @Ctx() ctx: Context,
  ): Promise<AddressRecord> {
    return ctx.services.addresses.setDefault(customerId, addressId, ctx);
  }
}

/**
 * All three fields read one loader: a page of customers costs one address statement. Their rule
 * (SELF_OR_ADMIN_HIDDEN, src/auth/rules.ts) is checked before them by type-graphql's authChecker.
 */
@Resolver(() => Customer)
export class CustomerAddressFieldsResolver {
  @FieldResolver(() => [CustomerAddress], { description: 'Live (not deleted) addresses, defaults first, then newest first.' })
  async addresses(
    @Root() c: CustomerRecord,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('type', () => AddressType, { nullable: true }) type?: AddressType | null,
  ): Promise<readonly AddressRecord[]> {
    const all = c.addresses ?? (await addressesOf(ctx, info, c.id));
    return type ? all.filter((a) => a.type === type) : all;
  }

  @FieldResolver(() => CustomerAddress, { nullable: true })
  defaultShippingAddress(@Root() c: CustomerRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<AddressRecord | null> {
    return defaultOf(ctx, info, c, AddressType.SHIPPING);
  }

  @FieldResolver(() => CustomerAddress, { nullable: true })
  defaultBillingAddress(@Root() c: CustomerRecord, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<AddressRecord | null> {
    return defaultOf(ctx, info, c, AddressType.BILLING);
  }
}

/**
 * The customer's live addresses, with the columns that the operation's address fields read
 * (all of them together, so they share one statement).
 */
function addressesOf(ctx: Context, info: GraphQLResolveInfo, customerId: string): Promise<readonly AddressRecord[]> {
  return ctx.loaders.addressesByCustomer(addressProperties(fieldsUnderAll(info, ADDRESS_FIELDS))).load(customerId);
}

async function defaultOf(ctx: Context, info: GraphQLResolveInfo, c: CustomerRecord, type: AddressType): Promise<AddressRecord | null> {
  const all = c.addresses ?? (await addressesOf(ctx, info, c.id));
  return all.find((a) => a.type === type && a.isDefault) ?? null;
}
