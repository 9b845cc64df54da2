import DataLoader from 'dataloader';
import { groupBy } from '../../common/group-by';
import type { Queryable } from '../../db/database';
import { ConsentRecordRow, PREFERENCES_COLUMNS, PreferencesRecord } from './preference.record';

export function preferencesByCustomerLoader(db: Queryable) {
  return new DataLoader<string, PreferencesRecord | null>(async (ids) => {
    const rows = await db.query<PreferencesRecord>(`SELECT ${PREFERENCES_COLUMNS} FROM customer_preferences p WHERE p.customer_id = ANY($1::uuid[])`, [ids]);
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
      // LATERAL + LIMIT walks the (customer_id, recorded_at DESC) index per customer.
      const rows = await db.query<ConsentRecordRow>(
        `SELECT l.customer_id AS "customerId", l.channel, l.granted, l.source, host(l.ip_address) AS "ipAddress",
                l.actor_id AS "actorId", l.recorded_at AS "recordedAt"
           FROM unnest($1::uuid[]) AS k(id)
           CROSS JOIN LATERAL (
             SELECT * FROM consent_log c WHERE c.customer_id = k.id ORDER BY c.recorded_at DESC, c.id DESC LIMIT $2
           ) l`,
        [ids, first],
      );
      for (const [customerId, list] of groupBy(rows, (r) => r.customerId)) found.set(`${customerId}:${first}`, list);
    }
    return keys.map((k) => found.get(k) ?? []);
  });
}
