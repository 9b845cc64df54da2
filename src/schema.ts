import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import DataLoader from 'dataloader';
import { FieldNode, GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema, parse } from 'graphql';
import { buildSchemaSync, createResolversMap } from 'type-graphql';
import { authChecker, markCheckedFields } from './auth/auth-checker';
import { authorize, authorizeLoaded, guardOf } from './auth/authorize';
import { guardArguments } from './common/argument-guard';
import { parseUuid } from './common/ids';
import { selectedFields } from './common/selection';
import { validateArgument } from './common/validation';
import { DomainError, FieldError } from './errors/domain-error';
import type { Context } from './context/context';
import { customerKey } from './modules/customer/customer.loader';
import type { CustomerRecord } from './modules/customer/customer.record';
import { CustomerConnectionResolver, CustomerResolver } from './modules/customer/customer.resolver';
import { GroupResolver } from './modules/group/group.resolver';
import { SubscriptionResolver } from './modules/events/subscription.resolver';
import { schemaPubSub } from './modules/events/schema-pubsub';
import { ConsentRecordResolver, CustomerPreferencesFieldResolver, PreferenceResolver } from './modules/preference/preference.resolver';
import { attachAddresses } from './modules/address/address.attach';
import { AddressResolver, CustomerAddressFieldsResolver } from './modules/address/address.resolver';
import { AuditResolver, CustomerAuditTrailFieldResolver } from './modules/audit/audit.resolver';
import { CustomerStatisticsFieldResolver } from './modules/statistics/statistics.resolver';
import { AuthResolver } from './modules/auth/auth.resolver';
import { TwoFactorResolver } from './modules/auth/two-factor.resolver';
import { GdprResolver } from './modules/gdpr/gdpr.resolver';
import { CustomerWishlistFieldResolver, WishlistResolver } from './modules/wishlist/wishlist.resolver';
import { CustomerSegmentsFieldResolver, SegmentResolver } from './modules/segment/segment.resolver';

/** Federation 2 directives the SDL uses, imported through @link as the contract does. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible", "@tag"])';

type Representation = { __typename: string; id?: unknown };

/**
 * `_entities` goes through the same loaders as the root fields, and each representation through
 * its type's declared rule (`<Type>.__resolveReference` in src/auth/rules.ts): one the viewer
 * may not read answers FORBIDDEN for that entity; an id with no live row (or that is no UUID)
 * answers null, in representation order. The resolvers are async so a refusal rejects only its
 * own list item (a synchronous throw would fail the whole `_entities`). Ids pass parseUuid, as
 * arguments do, before any rule or loader sees them.
 */
const referenceResolvers = {
  Customer: {
    async __resolveReference(ref: Representation, ctx: Context, info: GraphQLResolveInfo) {
      const id = parseUuid(ref.id);
      if (id === null) return null;
      authorize('Customer.__resolveReference', ctx.viewer, { id });
      return customerReferences(ctx, info).load(id);
    },
  },
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

/**
 * The Customer representations of one `_entities` field, resolved together: one customer look-up
 * and one `attachAddresses` for all of them, instead of a loader key, a look-up and an address
 * attachment (each with its promises) per representation, which a gateway's batch of 100 paid a
 * hundred times (README, Performance: nested lists). Keyed by the field node, so two aliased
 * `_entities` with different selections keep their own column lists.
 */
function customerReferences(ctx: Context, info: GraphQLResolveInfo): DataLoader<string, CustomerRecord | null> {
  let perField = referenceBatches.get(ctx);
  if (!perField) referenceBatches.set(ctx, (perField = new Map()));
  let batch = perField.get(info.fieldNodes[0]);
  if (!batch) {
    batch = new DataLoader<string, CustomerRecord | null>(async (ids) => {
      const fields = selectedFields(info);
      // An erased customer answers as such (status DELETED, no personal data), not as an error.
      const found = await ctx.loaders.customerById.loadMany(ids.map((id) => customerKey(id, fields, true)));
      const customers = found.filter((c): c is CustomerRecord => c !== null && !(c instanceof Error));
      await attachAddresses(ctx, info, customers);
      return found;
    });
    perField.set(info.fieldNodes[0], batch);
  }
  return batch;
}

const referenceBatches = new WeakMap<Context, Map<FieldNode, DataLoader<string, CustomerRecord | null>>>();

/**
 * A representation must name one of our entities: @apollo/subgraph throws a plain Error for
 * an unknown or missing `__typename`, which answered INTERNAL_SERVER_ERROR. A router never
 * sends one, so it is the caller's mistake: BAD_USER_INPUT naming each bad representation.
 */
function checkRepresentations(schema: GraphQLSchema): void {
  const entities = Object.keys(referenceResolvers);
  const field = schema.getQueryType()!.getFields()._entities;
  const resolve = field.resolve!;
  field.resolve = (source, args, ctx, info) => {
    const errors: FieldError[] = [];
    (args.representations as unknown[]).forEach((rep, i) => {
      const typename = (rep as Partial<Representation> | null)?.__typename;
      if (typeof typename !== 'string' || !entities.includes(typename)) {
        errors.push({ field: `representations[${i}].__typename`, message: `must name an entity of this subgraph: ${entities.join(', ')}` });
      }
    });
    if (errors.length)
      throw new DomainError('BAD_USER_INPUT', `Invalid input: ${errors.length} representation(s) name no entity of this subgraph`, errors.slice(0, 20));
    return resolve(source, args, ctx, info);
  };
}

/**
 * Fields that a list may already have put on its rows: the customers page joins group and
 * preferences into its statement when they are selected, and a page, `me` and `_entities`
 * attach the addresses of all their customers (attachAddresses, which asks the field's rule for
 * each). type-graphql's resolver wrapper (container look-up, parameter metadata sorted and
 * mapped on every call) and an async resolver's promises cost more than these fields
 * themselves, a hundred times on a page of 50: a value already on the row is answered
 * directly, and only a missing one, or a field called with arguments (`addresses(type: ...)`),
 * goes through the resolver (and its loader). The answer from the row passes the field's
 * declared rule first, the same one type-graphql's authChecker asks on the resolver's way
 * (a plain call; none for `group` and `preferences`, which inherit the customer's).
 */
const JOINED_FIELDS: Record<string, string[]> = { Customer: ['preferences', 'group', 'addresses'] };

function answerJoinedFields(resolvers: Record<string, object>): void {
  for (const [typeName, fields] of Object.entries(JOINED_FIELDS)) {
    const map = resolvers[typeName] as Record<string, GraphQLFieldResolver<Record<string, unknown>, Context>>;
    for (const field of fields) {
      const resolve = map[field];
      const guard = guardOf(`${typeName}.${field}`);
      map[field] = guard
        ? (row, args, ctx, info) => {
            if (hasArguments(args)) return resolve(row, args, ctx, info);
            const value = row[field];
            if (value == null) return resolve(row, args, ctx, info);
            guard(ctx.viewer, row, args);
            return value;
          }
        : (row, args, ctx, info) => (hasArguments(args) ? resolve(row, args, ctx, info) : (row[field] ?? resolve(row, args, ctx, info)));
    }
  }
}

function hasArguments(args: object): boolean {
  for (const _ in args) return true;
  return false;
}

export interface BuiltSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL, as committed in schema/customer.graphql and served by `_service`. */
  sdl: string;
  /** The coordinates type-graphql's authChecker guards (src/auth/auth-checker.ts). */
  checkedFields: ReadonlySet<string>;
}

const RESOLVERS = [
  CustomerResolver,
  CustomerConnectionResolver,
  GroupResolver,
  PreferenceResolver,
  CustomerPreferencesFieldResolver,
  ConsentRecordResolver,
  AddressResolver,
  CustomerAddressFieldsResolver,
  WishlistResolver,
  CustomerWishlistFieldResolver,
  AuditResolver,
  CustomerAuditTrailFieldResolver,
  CustomerStatisticsFieldResolver,
  AuthResolver,
  TwoFactorResolver,
  GdprResolver,
  SegmentResolver,
  CustomerSegmentsFieldResolver,
  SubscriptionResolver,
] as const;

let built: BuiltSchema | undefined;

/**
 * type-graphql is not federation-aware, so: build its schema, print it with the applied
 * directives (@key, @shareable), put the federation @link on top, and hand SDL and resolvers
 * to @apollo/subgraph. Built once per process: the schema is immutable and building is slow.
 */
export function buildCustomerSchema(): BuiltSchema {
  if (built) return built;
  // The declared rules (src/auth/rules.ts) mark the fields type-graphql's authChecker guards.
  const checkedFields = markCheckedFields(RESOLVERS);
  const codeFirst = buildSchemaSync({
    resolvers: [...RESOLVERS],
    authChecker,
    pubSub: schemaPubSub,
    validateFn: validateArgument,
    skipCheck: true,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(codeFirst)}\n`;
  const resolvers = createResolversMap(codeFirst) as Record<string, object>;
  answerJoinedFields(resolvers);
  for (const [typeName, extra] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), ...extra };
  }
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolvers as never }]);
  checkRepresentations(schema);
  // Last: its checks run before everything above, _entities' included.
  guardArguments(schema);
  built = { schema, sdl, checkedFields };
  return built;
}
