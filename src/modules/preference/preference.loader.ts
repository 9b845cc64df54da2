import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import type { Queryable } from '../../db/database';
import type { ConsentRecordRow, PreferencesRecord } from './preference.record';
import { PreferenceRepository } from './preference.repository';

const preferences = new PreferenceRepository();

export function preferencesByCustomerLoader(db: Queryable) {
  return new DataLoader<string, PreferencesRecord | null>(async (ids) => {
    const rows = await preferences.byCustomers(db, ids);
    const byId = new Map(rows.map((r) => [r.customerId, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * The newest `first` consent records of many customers in one statement. Keys are
 * `${customerId}:${first}`; a page normally asks with one `first`, so one query.
 */
export function consentLogLoader(db: Queryable) {
  return new DataLoader<string, ConsentRecordRow[]>(async (keys) => {
    const byFirst = new Map<number, string[]>();
    for (const key of keys) {
      const [id, first] = key.split(':');
      const ids = byFirst.get(Number(first));
      if (ids) ids.push(id);
      else byFirst.set(Number(first), [id]);
    }
    const found = new Map<string, ConsentRecordRow[]>();
    for (const [first, ids] of byFirst) {
      const rows = await preferences.newestConsents(db, ids, first);
      for (const [customerId, list] of groupBy(rows, (r) => r.customerId)) found.set(`${customerId}:${first}`, list);
    }
    return keys.map((k) => found.get(k) ?? []);
  });
}
