import type { Database } from './db/database';
import type { Transactor } from './db/unit-of-work';
import { AddressService } from './modules/address/address.service';
import { AuditService } from './modules/audit/audit.service';
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
  audit: AuditService;
}

/** `work` runs each mutation's unit of work (row changes + audit rows + outbox events). */
export function createServices(db: Database, work: Transactor): Services {
  return {
    customers: new CustomerService(db, work),
    groups: new GroupService(db, work),
    preferences: new PreferenceService(work),
    addresses: new AddressService(work),
    wishlist: new WishlistService(work),
    audit: new AuditService(db),
  };
}
