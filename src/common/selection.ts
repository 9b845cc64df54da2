import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { Kind } from 'graphql';

/**
 * The field names selected at `path` below the current field (e.g. ['edges', 'node'] and
 * ['nodes'] for a connection), following fragments. Used to select only the columns a query
 * needs: reading and parsing unrequested columns (timestamps, JSON) is most of a list's cost.
 */
export function selectedFields(info: GraphQLResolveInfo, ...paths: string[][]): ReadonlySet<string> {
  // Apollo caches parsed documents, so the same operation brings the same AST nodes: the
  // answer is computed once per operation shape, not per request.
  const node = info.fieldNodes[0];
  const key = paths.map((p) => p.join('.')).join('|');
  let perNode = cache.get(node);
  const hit = perNode?.get(key);
  if (hit) return hit;
  const out = compute(info, paths);
  if (info.fieldNodes.length === 1) {
    if (!perNode) cache.set(node, (perNode = new Map()));
    perNode.set(key, out);
  }
  return out;
}

const cache = new WeakMap<FieldNode, Map<string, ReadonlySet<string>>>();

function compute(info: GraphQLResolveInfo, paths: string[][]): ReadonlySet<string> {
  const out = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, path: string[]) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, path);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) visit(info.fragments[sel.name.value]?.selectionSet, path);
      else if (path.length === 0) out.add(sel.name.value);
      else if (sel.name.value === path[0]) visit(sel.selectionSet, path.slice(1));
    }
  };
  for (const path of paths.length ? paths : [[]]) for (const node of info.fieldNodes as FieldNode[]) visit(node.selectionSet, path);
  return out;
}

/**
 * The union of the fields selected under every field named one of `names`, anywhere in the
 * operation (fragments followed). Fields of one loader that different parts of an operation read
 * with different selections (a customer's `addresses` and its `defaultShippingAddress`) then
 * share one statement that selects what all of them need. Computed once per operation shape.
 */
export function fieldsUnderAll(info: GraphQLResolveInfo, names: ReadonlySet<string>): ReadonlySet<string> {
  let perOperation = unionCache.get(info.operation);
  const hit = perOperation?.get(names);
  if (hit) return hit;
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, collect: boolean) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, collect);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        // A fragment spread under a collected field and elsewhere: visit it once per role.
        const key = `${sel.name.value}|${collect}`;
        if (seen.has(key)) continue;
        seen.add(key);
        visit(info.fragments[sel.name.value]?.selectionSet, collect);
      } else {
        if (collect) out.add(sel.name.value);
        visit(sel.selectionSet, names.has(sel.name.value));
      }
    }
  };
  visit(info.operation.selectionSet, false);
  if (!perOperation) unionCache.set(info.operation, (perOperation = new Map()));
  perOperation.set(names, out);
  return out;
}

const unionCache = new WeakMap<object, Map<ReadonlySet<string>, ReadonlySet<string>>>();
