import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { CUSTOMER_COLUMNS, CustomerRecord } from './customer.entity';

/** Live customers by id, in key order, null where none: serves `customer`, `me` and `_entities`. */
export function customerByIdLoader(db: Queryable) {
  return new DataLoader<string, CustomerRecord | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length
      ? await db.query<CustomerRecord>(
          `SELECT ${CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ANY($1::uuid[]) AND c.deleted_at IS NULL`,
          [valid],
        )
      : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });
}
