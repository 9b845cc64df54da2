import type { Database } from './db/database';
import { AddressService } from './modules/address/address.service';
import { CustomerService } from './modules/customer/customer.service';
import { GroupService } from './modules/group/group.service';
import { PreferenceService } from './modules/preference/preference.service';
import { WishlistService } from './modules/wishlist/wishlist.service';

/** Stateless domain services, built once per process and shared by every request. */
export interface Services {
  customers: CustomerService;
  groups: GroupService;
  preferences: PreferenceService;
  addresses: AddressService;
  wishlist: WishlistService;
}

export function createServices(db: Database): Services {
  return {
    customers: new CustomerService(db),
    groups: new GroupService(db),
    preferences: new PreferenceService(db),
    addresses: new AddressService(db),
    wishlist: new WishlistService(db),
  };
}
