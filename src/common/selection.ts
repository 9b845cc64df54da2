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
