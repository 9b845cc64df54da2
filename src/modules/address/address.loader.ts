import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { addressColumns, ADDRESS_COLUMNS, ADDRESS_ORDER, AddressRecord } from './address.entity';

/**
 * Every live address of many customers in one statement, defaults first, then newest, with the
 * properties `properties` names (addressProperties): the rows carry only what the selection
 * reads, so they are not whole AddressRecords.
 */
export function addressesByCustomerLoader(db: Queryable, properties: string) {
  const sql = `SELECT ${addressColumns(properties)} FROM customer_addresses a
                WHERE a.customer_id = ANY($1::uuid[]) AND a.deleted_at IS NULL ORDER BY ${ADDRESS_ORDER}`;
  return new DataLoader<string, AddressRecord[]>(async (customerIds) => {
    const rows = await db.query<AddressRecord>(sql, [customerIds.filter(isUuid)]);
    const by = groupBy(rows, (r) => r.customerId);
    return customerIds.map((id) => by.get(id) ?? []);
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
