import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { authorize, authorizeLoaded } from './auth/authorize';
import { parseUuid } from './common/ids';
import { selectedFields } from './common/selection';
import type { Context } from './context/context';
import { DomainError, FieldError } from './errors/domain-error';
import { attachAddresses } from './modules/address/address.attach';
import type { CustomerRecord } from './modules/customer/customer.record';

type Representation = { __typename: string; id?: unknown };

/**
 * `_entities` (Apollo Federation's entity look-up, how a gateway asks for the customers of an
 * order page), resolved in representation order: an entity the viewer may not read answers
 * FORBIDDEN for that entity only (its type's `__resolveReference` rule, src/auth/rules.ts); an
 * id with no row (or that is no UUID) answers null. Ids pass parseUuid, as arguments do, before
 * any rule or look-up sees them.
 *
 * The other entity types go through @apollo/subgraph's resolver, one `__resolveReference` per
 * representation (below). Customer, the one a gateway asks for by the hundred, is resolved in
 * bulk instead: one look-up and one `attachAddresses` for all its representations, and one
 * promise for the list rather than one per representation, each with its loader call and
 * @apollo/subgraph's `await` and `__typename` wrapper (README, Performance: nested lists).
 */
const referenceResolvers = {
  CustomerGroup: {
    async __resolveReference(ref: Representation, ctx: Context) {
      authorize('CustomerGroup.__resolveReference', ctx.viewer, ref);
      const id = parseUuid(ref.id);
      return id === null ? null : ctx.loaders.groupById.load(id);
    },
  },
  CustomerAddress: {
    async __resolveReference(ref: Representation, ctx: Context) {
      const id = parseUuid(ref.id);
      if (id === null) return null;
      authorize('CustomerAddress.__resolveReference', ctx.viewer, ref);
      const address = await ctx.loaders.addressById.load(id);
      if (!address) return null;
      authorizeLoaded('CustomerAddress.__resolveReference', ctx.viewer, address);
      return address;
    },
  },
  CustomerSegment: {
    async __resolveReference(ref: Representation, ctx: Context) {
      const id = parseUuid(ref.id);
      if (id === null) return null;
      authorize('CustomerSegment.__resolveReference', ctx.viewer, ref);
      return ctx.loaders.segmentById.load(id);
    },
  },
};

/** The `__resolveReference` of each entity type but Customer, for buildSubgraphSchema. */
export const entityResolvers: Record<string, object> = referenceResolvers;

const ENTITY_TYPES = ['Customer', ...Object.keys(referenceResolvers)];

/**
 * The Customer representations, in bulk: the customer, null, or the refusal as an Error, which
 * both executors report as that item's error (as a rejected item was). A failed look-up fails
 * each of these items, not the other types'.
 */
function resolveCustomers(ctx: Context, info: GraphQLResolveInfo, representations: Representation[]): unknown[] | Promise<unknown[]> {
  const results: unknown[] = new Array(representations.length).fill(null);
  const ids: string[] = [];
  const positions: number[] = [];
  representations.forEach((rep, i) => {
    const id = parseUuid(rep.id);
    if (id === null) return;
    try {
      authorize('Customer.__resolveReference', ctx.viewer, { id });
      ids.push(id);
      positions.push(i);
    } catch (refusal) {
      results[i] = refusal;
    }
  });
  if (ids.length === 0) return results;
  // An erased customer answers as such (status DELETED, no personal data): other subgraphs
  // still hold its id.
  return ctx.loaders
    .customers(ids, selectedFields(info), true)
    .then(async (found) => {
      const customers = found.filter((c): c is CustomerRecord => c !== null);
      // What @apollo/subgraph's wrapper did for each: the type `_Entity` resolves to.
      for (const c of customers) Object.defineProperty(c, '__typename', { value: 'Customer' });
      await attachAddresses(ctx, info, customers);
      positions.forEach((p, j) => (results[p] = found[j]));
      return results;
    })
    .catch((error: unknown) => {
      for (const p of positions) results[p] = error instanceof Error ? error : new Error(String(error));
      return results;
    });
}

/**
 * Replaces `_entities`' resolver: checks every `__typename` first, resolves the Customer
 * representations in bulk and hands the others to @apollo/subgraph's resolver. A list of
 * customers only (what a gateway sends) is one promise for the whole list; in a mixed list,
 * each item is its own value or promise, so nothing of the other types waits on the customers.
 */
export function resolveEntitiesInBulk(schema: GraphQLSchema): void {
  const field = schema.getQueryType()!.getFields()._entities;
  const perRepresentation = field.resolve!;
  const resolve: GraphQLFieldResolver<unknown, Context> = (source, args, ctx, info) => {
    const representations = args.representations as Representation[];
    countRepresentations(ctx, representations.length);
    checkTypenames(representations);
    const customerAt: number[] = [];
    const otherAt: number[] = [];
    representations.forEach((rep, i) => (rep.__typename === 'Customer' ? customerAt : otherAt).push(i));
    const customers = resolveCustomers(
      ctx,
      info,
      customerAt.map((i) => representations[i]),
    );
    if (otherAt.length === 0) return customers;
    const results: unknown[] = new Array(representations.length);
    const others = perRepresentation(source, { representations: otherAt.map((i) => representations[i]) }, ctx, info) as unknown[];
    otherAt.forEach((i, j) => (results[i] = others[j]));
    customerAt.forEach((i, j) => (results[i] = Array.isArray(customers) ? customers[j] : customers.then((list) => list[j])));
    return results;
  };
  field.resolve = resolve as typeof field.resolve;
}

/**
 * At most `CUSTOMER_MAX_REPRESENTATIONS` per operation: the body limit bounds one list, but one
 * list in a variable can be given to every alias of `_entities` (15 aliases of 3,500 made 52,500
 * look-ups and a 7 MB answer, two seconds of this process's time, even for an anonymous caller).
 * Counted as each field starts, so the field that goes over is refused before any of its work.
 */
function countRepresentations(ctx: Context, count: number): void {
  const total = (representationsSeen.get(ctx) ?? 0) + count;
  representationsSeen.set(ctx, total);
  if (total > ctx.maxRepresentations) {
    throw new DomainError('BAD_USER_INPUT', `Too many representations: at most ${ctx.maxRepresentations} per operation`, [
      { field: 'representations', message: `at most ${ctx.maxRepresentations} per operation, all _entities fields together` },
    ]);
  }
}

const representationsSeen = new WeakMap<Context, number>();

/**
 * A representation must name one of our entities: @apollo/subgraph throws a plain Error for
 * an unknown or missing `__typename`, which answered INTERNAL_SERVER_ERROR. A router never
 * sends one, so it is the caller's mistake: BAD_USER_INPUT naming each bad representation.
 */
function checkTypenames(representations: unknown[]): void {
  const errors: FieldError[] = [];
  representations.forEach((rep, i) => {
    const typename = (rep as Partial<Representation> | null)?.__typename;
    if (typeof typename !== 'string' || !ENTITY_TYPES.includes(typename)) {
      errors.push({ field: `representations[${i}].__typename`, message: `must name an entity of this subgraph: ${ENTITY_TYPES.join(', ')}` });
    }
  });
  if (errors.length)
    throw new DomainError('BAD_USER_INPUT', `Invalid input: ${errors.length} representation(s) name no entity of this subgraph`, errors.slice(0, 20));
}
