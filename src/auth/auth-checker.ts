import { Authorized, getMetadataStorage, type AuthCheckerFn } from 'type-graphql';
import type { Context } from '../context/context';
import { authorize, enforcementOf } from './authorize';
import { FIELD_RULES } from './rules';

/**
 * type-graphql's authChecker (buildSchemaSync's `authChecker`): the "role" a field is marked
 * with is its schema coordinate, and the check is the coordinate's declared rule
 * (authorize.ts). It throws the rule's own DomainError (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND),
 * so type-graphql's generic "Access denied" never reaches a client.
 */
export const authChecker: AuthCheckerFn<Context, string> = ({ root, args, context }, coordinates) => {
  authorize(coordinates[0], context.viewer, root, args);
  return true;
};

type Target = ReturnType<typeof getMetadataStorage>['resolverClasses'][number]['target'];

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'];
let marked: ReadonlySet<string> | undefined;

/**
 * Marks, from the table, the fields type-graphql checks: every root field and subscription (a
 * root field without a declared rule too: it is refused, deny by default) except PUBLIC ones,
 * and the Customer-subtree fields whose rule differs from their parent's. Nothing else is
 * wrapped: type-graphql puts a marked field behind a middleware chain (promises per call),
 * which the plain fields of 50 customers a page must not pay for. Answers the coordinates
 * marked. Call before building the schema (once: the metadata is global).
 */
export function markCheckedFields(resolvers: readonly unknown[]): ReadonlySet<string> {
  if (marked) return marked;
  const storage = getMetadataStorage();
  const typeNameOf = (cls: Target): string => storage.objectTypes.find((o) => o.target === cls)?.name ?? cls.name;
  const objectTypeOf = (resolver: Target): Target => storage.resolverClasses.find((c) => c.target === resolver)!.getObjectType() as Target;
  const handlers = [
    ...storage.queries.map((h) => ({ type: 'Query', h })),
    ...storage.mutations.map((h) => ({ type: 'Mutation', h })),
    ...storage.subscriptions.map((h) => ({ type: 'Subscription', h })),
    ...storage.fieldResolvers.filter((h) => h.kind === 'external').map((h) => ({ type: typeNameOf(objectTypeOf(h.target)), h })),
  ].filter(({ h }) => resolvers.includes(h.target));

  const done = new Set<string>();
  for (const { type, h } of handlers) {
    const coordinate = `${type}.${h.schemaName}`;
    const entry = FIELD_RULES[coordinate];
    const check = entry ? enforcementOf(coordinate, entry) === 'field' : ROOT_TYPES.includes(type);
    if (!check) continue;
    Authorized(coordinate)(h.target.prototype, h.methodName);
    done.add(coordinate);
  }
  // A rule to check on a field that has no resolver of ours (a property of a type with simple
  // resolvers) would silently check nothing: refuse to build instead.
  const unenforceable = Object.entries(FIELD_RULES)
    .filter(([coordinate, entry]) => enforcementOf(coordinate, entry) === 'field' && !done.has(coordinate))
    .map(([coordinate]) => coordinate);
  if (unenforceable.length) throw new Error(`These fields declare a rule but have no field resolver to check it on: ${unenforceable.join(', ')}`);
  marked = done;
  return done;
}
