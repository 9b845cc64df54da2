/** Property name -> SQL expression, written out in each entity file (never built from input). */
export type ColumnMap<T> = { readonly [K in keyof T & string]: string };

/** `expr AS "prefixProp", ...`: rows come back keyed by property names, no mapping pass. */
export function selectList<T>(map: ColumnMap<T>, props: readonly (keyof T & string)[] = Object.keys(map) as (keyof T & string)[], prefix = ''): string {
  return props.map((p) => `${map[p]} AS "${prefix}${p}"`).join(', ');
}

/**
 * The `prefix`-ed properties of a joined row as their own object (left on the row too:
 * deleting keys would push V8 objects into slow mode). Null when `keyProp` is null: the
 * LEFT JOIN found nothing.
 */
export function takePrefixed<T>(row: Record<string, unknown>, prefix: string, props: readonly (keyof T & string)[], keyProp: keyof T & string): T | null {
  if (row[prefix + keyProp] == null) return null;
  const out: Record<string, unknown> = {};
  for (const p of props) out[p] = row[prefix + p];
  return out as T;
}

/** The properties of `map` that a selection asks for, always with `keyProp`. */
export function propsFor<T>(map: ColumnMap<T>, fields: ReadonlySet<string>, keyProp: keyof T & string): (keyof T & string)[] {
  return (Object.keys(map) as (keyof T & string)[]).filter((p) => p === keyProp || fields.has(p));
}
