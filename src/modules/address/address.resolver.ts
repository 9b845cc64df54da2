import { Arg, FieldResolver, ID, Mutation, Resolver } from 'type-graphql';
import { AddressType } from '../../common/enums';
import { DomainError } from '../../errors/domain-error';
import { Customer } from '../customer/customer.type';
import { AddressInput, AddressUpdateInput } from './address.input';
import { CustomerAddress } from './address.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver(() => CustomerAddress)
export class AddressResolver {
  @Mutation(() => CustomerAddress)
  async createAddress(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('input', () => AddressInput) _input: AddressInput,
  ): Promise<CustomerAddress> {
    throw DomainError.notImplemented('createAddress');
  }

  @Mutation(() => CustomerAddress)
  async updateAddress(
    @Arg('id', () => ID) _id: string,
    @Arg('input', () => AddressUpdateInput) _input: AddressUpdateInput,
  ): Promise<CustomerAddress> {
    throw DomainError.notImplemented('updateAddress');
  }

  @Mutation(() => Boolean, {
    description:
      'Soft delete; when it was the default, the newest other address of that type becomes default in the same transaction.',
  })
  async deleteAddress(@Arg('id', () => ID) _id: string): Promise<boolean> {
    throw DomainError.notImplemented('deleteAddress');
  }

  @Mutation(() => CustomerAddress, { description: 'Makes it the only default of its type.' })
  async setDefaultAddress(
    @Arg('customerId', () => ID) _customerId: string,
    @Arg('addressId', () => ID) _addressId: string,
  ): Promise<CustomerAddress> {
    throw DomainError.notImplemented('setDefaultAddress');
  }
}

@Resolver(() => Customer)
export class CustomerAddressFieldsResolver {
  @FieldResolver(() => [CustomerAddress], { description: 'Live (not deleted) addresses, defaults first, then newest first.' })
  async addresses(@Arg('type', () => AddressType, { nullable: true }) _type?: AddressType | null): Promise<CustomerAddress[]> {
    throw DomainError.notImplemented('Customer.addresses');
  }

  @FieldResolver(() => CustomerAddress, { nullable: true })
  async defaultShippingAddress(): Promise<CustomerAddress | null> {
    throw DomainError.notImplemented('Customer.defaultShippingAddress');
  }

  @FieldResolver(() => CustomerAddress, { nullable: true })
  async defaultBillingAddress(): Promise<CustomerAddress | null> {
    throw DomainError.notImplemented('Customer.defaultBillingAddress');
  }
}
