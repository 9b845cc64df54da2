import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { IdLookups } from '../../db/id-lookups';
import { customerProperties, CustomerRecord } from './customer.record';
import { CustomerRepository } from './customer.repository';

const customers = new CustomerRepository();

/**
 * Loader key: the properties wanted and the id, so one batch selects only what was asked.
 * `erased`: also answer erased customers (their anonymised rows), for `_entities` only.
 */
export function customerKey(id: string, fields: ReadonlySet<string> | null, erased = false): string {
  const tail = erased ? `|${id}|erased` : `|${id}`;
  if (!fields) return `${customerProperties(null).join(',')}${tail}`;
  let props = propsOf.get(fields);
  if (props === undefined) propsOf.set(fields, (props = customerProperties(fields).join(',')));
  return `${props}${tail}`;
}

/** Selections are cached per operation (common/selection.ts), so this memo hits too. */
const propsOf = new WeakMap<ReadonlySet<string>, string>();

/**
 * Customers by id, in key order, null where none: serves `customer`, `me` and `_entities`.
 * Keys asking for the same properties share one statement, with those of concurrent requests
 * (db/id-lookups.ts). Erased customers are answered
 * only to keys that ask for them (`_entities`: other subgraphs still hold their id).
 */
export function customerByIdLoader(lookups: IdLookups) {
  return new DataLoader<string, CustomerRecord | null>(async (keys) => {
    const groups = new Map<string, string[]>();
    for (const key of keys) {
      const [props, id, erased] = key.split('|');
      if (!isUuid(id)) continue;
      const group = `${props}|${erased ?? ''}`;
      const ids = groups.get(group);
      if (ids) ids.push(id);
      else groups.set(group, [id]);
    }
    const found = new Map<string, CustomerRecord>();
    for (const [group, ids] of groups) {
      const [props, erased] = group.split('|');
      const rows = await customers.byIds(lookups, props, erased === 'erased', ids);
      for (const id of ids) {
        const row = rows.get(id.toLowerCase());
        // A copy: the rows are shared with concurrent requests (IdLookups), and a request may
        // decorate what it gets.
        if (row) found.set(`${group}|${row.id}`, { ...row });
      }
    }
    return keys.map((k) => {
      const [props, id, erased] = k.split('|');
      return found.get(`${props}|${erased ?? ''}|${id.toLowerCase()}`) ?? null;
    });
  });
}
