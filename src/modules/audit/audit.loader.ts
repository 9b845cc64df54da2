import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { SqlParams } from '../../db/sql-params';
import { AUDIT_COLUMNS, AUDIT_ORDER, AuditRow } from './audit.record';
import { afterCondition, auditPage, AuditPage, decodeAuditCursor } from './audit.service';

/**
 * Loader key of one customer's trail page. `first` is the capped page size; `after` a cursor
 * the resolver has already checked (base64url, so it never contains `|`).
 */
export function auditTrailKey(customerId: string, first: number, after: string | null | undefined): string {
  return `${customerId}|${first}|${after ?? ''}`;
}

/**
 * Customer.auditTrail for many customers: one statement per distinct (first, after), so a
 * page of customers asking for `auditTrail(first: n)` costs one statement however long it is.
 * LATERAL + LIMIT walks the (customer_id, created_at DESC, id DESC) index once per customer;
 * each customer gets first + 1 rows, the extra one only telling whether there is a next page.
 */
export function auditTrailLoader(db: Queryable) {
  return new DataLoader<string, AuditPage>(async (keys) => {
    const groups = new Map<string, { first: number; after: string; ids: string[] }>();
    for (const key of keys) {
      const [id, first, after] = key.split('|');
      if (!isUuid(id)) continue;
      const groupKey = `${first}|${after}`;
      const group = groups.get(groupKey);
      if (group) group.ids.push(id);
      else groups.set(groupKey, { first: Number(first), after, ids: [id] });
    }
    const found = new Map<string, AuditRow[]>();
    for (const { first, after, ids } of groups.values()) {
      const p = new SqlParams();
      const conditions = [`e.customer_id = k.id`];
      const idList = p.add(ids);
      const limit = p.add(first + 1);
      if (after) conditions.push(afterCondition(decodeAuditCursor(after), p));
      const rows = await db.query<AuditRow>(
        `SELECT ${AUDIT_COLUMNS}
           FROM unnest(${idList}::uuid[]) AS k(id)
           CROSS JOIN LATERAL (
             SELECT * FROM audit_events e WHERE ${conditions.join(' AND ')} ORDER BY ${AUDIT_ORDER} LIMIT ${limit}
           ) e
          ORDER BY e.customer_id, ${AUDIT_ORDER}`,
        p.values,
      );
      for (const [customerId, list] of groupBy(rows, (r) => r.customerId)) found.set(`${customerId}|${first}|${after}`, list);
    }
    return keys.map((key) => {
      const [, first, after] = key.split('|');
      return auditPage(found.get(key) ?? [], Number(first), after || null);
    });
  });
}
