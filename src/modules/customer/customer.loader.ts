import DataLoader from 'dataloader';
import { isUuid } from '../../common/ids';
import type { Queryable } from '../../db/database';
import { customerColumns, customerProperties, CustomerRecord } from './customer.entity';

/** Loader key: the properties wanted and the id, so one batch selects only what was asked. */
export function customerKey(id: string, fields: ReadonlySet<string> | null): string {
  if (!fields) return `${customerProperties(null).join(',')}|${id}`;
  let props = propsOf.get(fields);
  if (props === undefined) propsOf.set(fields, (props = customerProperties(fields).join(',')));
  return `${props}|${id}`;
}

/** Selections are cached per operation (common/selection.ts), so this memo hits too. */
const propsOf = new WeakMap<ReadonlySet<string>, string>();

const statements = new Map<string, string>();

/** The statement for one property list, built once (only CustomerRecord names survive customerProperties). */
function selectByIds(props: string): string {
  let sql = statements.get(props);
  if (sql === undefined) {
    sql = `SELECT ${customerColumns(customerProperties(new Set(props.split(','))))} FROM customers c WHERE c.id = ANY($1::uuid[]) AND c.deleted_at IS NULL`;
    if (statements.size < 1000) statements.set(props, sql);
  }
  return sql;
}

/**
 * Live customers by id, in key order, null where none: serves `customer`, `me` and
 * `_entities`. Keys asking for the same properties share one statement.
 */
export function customerByIdLoader(db: Queryable) {
  return new DataLoader<string, CustomerRecord | null>(async (keys) => {
    const byProps = new Map<string, string[]>();
    for (const key of keys) {
      const [props, id] = key.split('|');
      if (!isUuid(id)) continue;
      const ids = byProps.get(props);
      if (ids) ids.push(id);
      else byProps.set(props, [id]);
    }
    const found = new Map<string, CustomerRecord>();
    for (const [props, ids] of byProps) {
      const rows = await db.query<CustomerRecord>(selectByIds(props), [ids]);
      for (const r of rows) found.set(`${props}|${r.id}`, r);
    }
    return keys.map((k) => {
      const [props, id] = k.split('|');
      return found.get(`${props}|${id.toLowerCase()}`) ?? null;
    });
  });
}
