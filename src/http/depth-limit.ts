import { FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, ValidationRule } from 'graphql';

/**
 * Refuses operations nested deeper than `max` fields (fragments followed, introspection
 * fields not counted): a cheap guard against queries built to exhaust the server.
 */
export function depthLimit(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

    const depth = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>): number => {
      let deepest = 0;
      for (const sel of set?.selections ?? []) {
        let d = 0;
        if (sel.kind === Kind.FIELD) d = sel.name.value.startsWith('__') ? 0 : 1 + depth(sel.selectionSet, seen);
        else if (sel.kind === Kind.INLINE_FRAGMENT) d = depth(sel.selectionSet, seen);
        else if (!seen.has(sel.name.value)) d = depth(fragments.get(sel.name.value)?.selectionSet, new Set([...seen, sel.name.value]));
        deepest = Math.max(deepest, d);
      }
      return deepest;
    };

    return {
      OperationDefinition(op) {
        const d = depth(op.selectionSet, new Set());
        if (d > max) context.reportError(new GraphQLError(`The operation is nested ${d} levels deep; the limit is ${max}`, { nodes: [op] }));
      },
    };
  };
}
