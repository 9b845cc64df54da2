import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { StatisticsRow } from './statistics.record';
import { StatisticsRepository } from './statistics.repository';

const statistics = new StatisticsRepository();

/** Statistics of many customers in one statement; null where no order was counted yet. */
export function statisticsByCustomerLoader(db: Queryable) {
  return new DataLoader<string, StatisticsRow | null>(async (customerIds) => {
    const rows = await statistics.byCustomers(db, customerIds.filter(isUuid));
    const byId = new Map(rows.map((r) => [r.customerId, r]));
    return customerIds.map((id) => byId.get(id) ?? null);
  });
}
