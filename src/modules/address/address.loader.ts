import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { IdLookups } from '../../db/id-lookups';
import { addressColumns, ADDRESS_COLUMNS, ADDRESS_ORDER, AddressRecord } from './address.record';

const statements = new Map<string, string>();
const NONE: readonly AddressRecord[] = Object.freeze([]);

/** The statement for one property list, built once per query shape. */
function addressesOf(properties: string): string {
  let sql = statements.get(properties);
  if (sql === undefined) {
    sql = `SELECT ${addressColumns(properties)} FROM customer_addresses a
            WHERE a.customer_id = ANY($1::uuid[]) AND a.deleted_at IS NULL ORDER BY ${ADDRESS_ORDER}`;
    statements.set(properties, sql);
  }
  return sql;
}

/**
 * Every live address of many customers in one statement, defaults first, then newest, with the
 * properties `properties` names (addressProperties): the rows carry only what the selection
 * reads, so they are not whole AddressRecords. The statement is shared with the concurrent
 * requests that want the same properties (db/id-lookups.ts): 32 storefront `me` requests cost
 * one address statement, not 32. Each request takes the lists of its own customers only.
 */
export function addressesByCustomerLoader(lookups: IdLookups, properties: string) {
  const sql = addressesOf(properties);
  return new DataLoader<string, readonly AddressRecord[]>(async (customerIds) => {
    const valid = customerIds.filter(isUuid);
    if (valid.length === 0) return customerIds.map(() => NONE);
    // Frozen lists of frozen rows, shared with the concurrent requests (never to be changed).
    const by = await lookups.byKey<AddressRecord>(sql, valid, 'customerId');
    return customerIds.map((id) => by.get(id.toLowerCase()) ?? NONE);
  });
}

/** Live addresses by id (for `_entities` and ownership checks), in key order, null where none. */
export function addressByIdLoader(db: Queryable) {
  return new DataLoader<string, AddressRecord | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length
      ? await db.query<AddressRecord>(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses a WHERE a.id = ANY($1::uuid[]) AND a.deleted_at IS NULL`, [valid])
      : [];
    const by = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => by.get(id.toLowerCase()) ?? null);
  });
}
