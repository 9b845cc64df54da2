import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { GROUP_COLUMNS, GroupRecord } from './group.record';

export function groupByIdLoader(db: Queryable) {
  return new DataLoader<string, GroupRecord | null>(async (ids) => {
    const rows = await db.query<GroupRecord>(`SELECT ${GROUP_COLUMNS} FROM customer_groups g WHERE g.id = ANY($1::uuid[])`, [ids.filter(isUuid)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Live members per group: one grouped count for every group on the page. */
export function groupMemberCountLoader(db: Queryable) {
  return new DataLoader<string, number>(async (ids) => {
    const rows = await db.query<{ groupId: string; n: number }>(
      `SELECT group_id AS "groupId", count(*)::int AS n FROM customers
        WHERE group_id = ANY($1::uuid[]) AND deleted_at IS NULL GROUP BY group_id`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.groupId, r.n]));
    return ids.map((id) => byId.get(id) ?? 0);
  });
}
