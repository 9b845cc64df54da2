import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ColumnMap, selectList } from './columns';

/**
 * Selects `map`'s expressions (a record's column map), each aliased to its property name, in
 * place of the builder's selection: `getRawMany` then answers plain records keyed by property
 * names, in the map's order, with no entity to hydrate and map again.
 */
export function selectRecord<E extends ObjectLiteral, T>(
  query: SelectQueryBuilder<E>,
  map: ColumnMap<T>,
  props: readonly (keyof T & string)[] = Object.keys(map) as (keyof T & string)[],
): SelectQueryBuilder<E> {
  // One selection, the whole list: TypeORM would move a single `alias.property` selection ahead
  // of the others (it builds those as entity columns), and the record's key order with it.
  return query.select(selectList(map, props));
}

/** A column map's expressions as a RETURNING list: UPDATE and INSERT by the QueryBuilder name no table alias, so `alias.` is dropped. */
export function returningList<T>(map: ColumnMap<T>, alias: string): string {
  const prefix = `${alias}.`;
  return (Object.keys(map) as (keyof T & string)[]).map((p) => `${map[p].startsWith(prefix) ? map[p].slice(prefix.length) : map[p]} AS "${p}"`).join(', ');
}
