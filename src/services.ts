import type { Database } from './db/database';
import { CustomerService } from './modules/customer/customer.service';
import { GroupService } from './modules/group/group.service';
import { PreferenceService } from './modules/preference/preference.service';

/** Stateless domain services, built once per process and shared by every request. */
export interface Services {
  customers: CustomerService;
  groups: GroupService;
  preferences: PreferenceService;
}

export function createServices(db: Database): Services {
  return {
    customers: new CustomerService(db),
    groups: new GroupService(db),
    preferences: new PreferenceService(db),
  };
}
