import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import type { AuditRow } from './audit.record';
import { AuditRepository } from './audit.repository';
import { auditPage, AuditPage, decodeAuditCursor } from './audit.service';

const audits = new AuditRepository();

/**
 * Loader key of one customer's trail page. `first` is the capped page size; `after` a cursor
 * the resolver has already checked (base64url, so it never contains `|`).
 */
export function auditTrailKey(customerId: string, first: number, after: string | null | undefined): string {
  return `${customerId}|${first}|${after ?? ''}`;
}

/**
 * Customer.auditTrail for many customers: one statement per distinct (first, after), so a
 * page of customers asking for `auditTrail(first: n)` costs one statement however long it is;
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
      const rows = await audits.trails(db, ids, first + 1, after ? decodeAuditCursor(after) : null);
      for (const [customerId, list] of groupBy(rows, (r) => r.customerId)) found.set(`${customerId}|${first}|${after}`, list);
    }
    return keys.map((key) => {
      const [, first, after] = key.split('|');
      return auditPage(found.get(key) ?? [], Number(first), after || null);
    });
  });
}
