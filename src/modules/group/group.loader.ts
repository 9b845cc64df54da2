import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { CustomerRepository } from '../customer/customer.repository';
import type { GroupRecord } from './group.record';
import { GroupRepository } from './group.repository';

const groups = new GroupRepository();
const customers = new CustomerRepository();

export function groupByIdLoader(db: Queryable) {
  return new DataLoader<string, GroupRecord | null>(async (ids) => {
    const byId = new Map((await groups.byIds(db, ids.filter(isUuid))).map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Live members per group: one grouped count for every group on the page. */
export function groupMemberCountLoader(db: Queryable) {
  return new DataLoader<string, number>(async (ids) => {
    const counts = await customers.countLiveByGroup(db, ids);
    return ids.map((id) => counts.get(id) ?? 0);
  });
}
