import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { STATISTICS_COLUMNS, StatisticsRow } from './statistics.record';

/** Statistics of many customers in one statement; null where no order was counted yet. */
export function statisticsByCustomerLoader(db: Queryable) {
  return new DataLoader<string, StatisticsRow | null>(async (customerIds) => {
    const rows = await db.query<StatisticsRow>(`SELECT ${STATISTICS_COLUMNS} FROM customer_statistics s WHERE s.customer_id = ANY($1::uuid[])`, [
      customerIds.filter(isUuid),
    ]);
    const byId = new Map(rows.map((r) => [r.customerId, r]));
    return customerIds.map((id) => byId.get(id) ?? null);
  });
}
