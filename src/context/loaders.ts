import type DataLoader from 'dataloader';
import type { Database } from '../db/database';
import { customerByIdLoader } from '../modules/customer/customer.loader';
import { groupByIdLoader, groupMemberCountLoader } from '../modules/group/group.loader';
import { consentLogLoader, preferencesByCustomerLoader } from '../modules/preference/preference.loader';

const factories = {
  customerById: customerByIdLoader,
  groupById: groupByIdLoader,
  groupMemberCount: groupMemberCountLoader,
  preferencesByCustomer: preferencesByCustomerLoader,
  consentLog: consentLogLoader,
} satisfies Record<string, (db: Database) => DataLoader<string, unknown>>;

export type Loaders = { [K in keyof typeof factories]: ReturnType<(typeof factories)[K]> };

/**
 * Per-request DataLoaders, each built on first use: a request that touches one loader pays
 * for one. Never shared between requests (a cache across requests would serve stale rows
 * and cross authorization boundaries).
 */
export function createLoaders(db: Database): Loaders {
  const made: Partial<Loaders> = {};
  const loaders = {} as Loaders;
  for (const name of Object.keys(factories) as (keyof Loaders)[]) {
    Object.defineProperty(loaders, name, {
      enumerable: true,
      get: () => (made[name] ??= factories[name](db) as never),
    });
  }
  return loaders;
}
