import DataLoader from 'dataloader';
import { parseUuid } from '../../common/ids';
import type { IdLookups } from '../../db/id-lookups';
import { customerProperties, CustomerRecord } from './customer.record';
import { CustomerRepository } from './customer.repository';

const customers = new CustomerRepository();

/**
 * Loader key: the properties wanted and the id, so one batch selects only what was asked.
 * `erased`: also answer erased customers (their anonymised rows), for `_entities` only.
 */
export function customerKey(id: string, fields: ReadonlySet<string> | null, erased = false): string {
  return `${propsOf(fields)}${erased ? `|${id}|erased` : `|${id}`}`;
}

/** The properties a selection reads, as the loader's keys and the repository name them. */
function propsOf(fields: ReadonlySet<string> | null): string {
  if (!fields) return ALL_PROPS;
  let props = propsMemo.get(fields);
  if (props === undefined) propsMemo.set(fields, (props = customerProperties(fields).join(',')));
  return props;
}

const ALL_PROPS = customerProperties(null).join(',');
/** Selections are cached per operation (common/selection.ts), so this memo hits too. */
const propsMemo = new WeakMap<ReadonlySet<string>, string>();

/**
 * Customers by id (UUIDs already parsed), in id order, null where none: what the loader answers,
 * without its keys, for a caller that has all its ids at once (`_entities`). Copies: the rows
 * are shared with concurrent requests (IdLookups), and a request may decorate what it gets.
 */
export async function readCustomers(
  lookups: IdLookups,
  ids: readonly string[],
  fields: ReadonlySet<string> | null,
  erased: boolean,
): Promise<(CustomerRecord | null)[]> {
  const rows = await customers.byIds(lookups, propsOf(fields), erased, ids);
  return ids.map((id) => {
    const row = rows.get(id);
    return row ? { ...row } : null;
  });
}

/**
 * Customers by id, in key order, null where none: serves `customer`, `me` and `_entities`.
 * Keys asking for the same properties share one statement, with those of concurrent requests
 * (db/id-lookups.ts). Erased customers are answered
 * only to keys that ask for them (`_entities`: other subgraphs still hold their id).
 */
export function customerByIdLoader(lookups: IdLookups) {
  return new DataLoader<string, CustomerRecord | null>(async (keys) => {
    // Keys asking for the same properties (and erased customers or not) share a statement.
    const parsed = keys.map(parseKey);
    const groups = new Map<string, { props: string; erased: boolean; ids: string[] }>();
    for (const key of parsed) {
      if (!key) continue;
      const group = groups.get(key.group);
      if (group) group.ids.push(key.id);
      else groups.set(key.group, { props: key.props, erased: key.erased, ids: [key.id] });
    }
    const rows = new Map<string, ReadonlyMap<string, CustomerRecord>>();
    await Promise.all([...groups].map(async ([name, g]) => rows.set(name, await customers.byIds(lookups, g.props, g.erased, g.ids))));
    return parsed.map((key) => {
      const row = key && rows.get(key.group)?.get(key.id);
      // A copy, as readCustomers makes.
      return row ? { ...row } : null;
    });
  });
}

/** A key's parts; null when its id is no UUID (it names no row, and would fail the statement's uuid cast). */
function parseKey(key: string): { group: string; props: string; id: string; erased: boolean } | null {
  const [props, raw, erased] = key.split('|');
  const id = parseUuid(raw);
  return id === null ? null : { group: erased ? `${props}|erased` : props, props, id, erased: erased === 'erased' };
}
