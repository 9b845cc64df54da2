import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { IdLookups } from '../../db/id-lookups';
import type { AddressRecord } from './address.record';
import { AddressRepository } from './address.repository';

const addresses = new AddressRepository();
const NONE: readonly AddressRecord[] = Object.freeze([]);

/**
 * Every live address of many customers in one statement, defaults first, then newest, with the
 * properties `properties` names (addressProperties): the rows carry only what the selection
 * reads, so they are not whole AddressRecords. The statement is shared with the concurrent
 * requests that want the same properties (db/id-lookups.ts): 32 storefront `me` requests cost
 * one address statement, not 32. Each request takes the lists of its own customers only.
 */
export function addressesByCustomerLoader(lookups: IdLookups, properties: string) {
  return new DataLoader<string, readonly AddressRecord[]>((customerIds) => readAddresses(lookups, customerIds, properties));
}

/**
 * What the loader answers, for a caller that has all its customers at once (a page, `me`,
 * `_entities`: attachAddresses): the lists in id order, without a loader key and promise per
 * customer. Frozen lists of frozen rows, shared with the concurrent requests (never to be changed).
 */
export async function readAddresses(lookups: IdLookups, customerIds: readonly string[], properties: string): Promise<(readonly AddressRecord[])[]> {
  const valid = customerIds.filter(isUuid);
  if (valid.length === 0) return customerIds.map(() => NONE);
  const by = await addresses.liveByCustomers(lookups, properties, valid);
  return customerIds.map((id) => by.get(id.toLowerCase()) ?? NONE);
}

/** Live addresses by id (for `_entities` and ownership checks), in key order, null where none. */
export function addressByIdLoader(db: Queryable) {
  return new DataLoader<string, AddressRecord | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await addresses.liveByIds(db, valid) : [];
    const by = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => by.get(id.toLowerCase()) ?? null);
  });
}
