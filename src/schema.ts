import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLFieldResolver, GraphQLSchema, parse } from 'graphql';
import { buildSchemaSync, createResolversMap } from 'type-graphql';
import { authChecker, markCheckedFields } from './auth/auth-checker';
import { guardOf } from './auth/authorize';
import { guardArguments } from './common/argument-guard';
import { validateArgument } from './common/validation';
import type { Context } from './context/context';
import { entityResolvers, resolveEntitiesInBulk } from './entities';
import { CustomerConnectionResolver, CustomerResolver } from './modules/customer/customer.resolver';
import { GroupResolver } from './modules/group/group.resolver';
import { SubscriptionResolver } from './modules/events/subscription.resolver';
import { schemaPubSub } from './modules/events/schema-pubsub';
import { ConsentRecordResolver, CustomerPreferencesFieldResolver, PreferenceResolver } from './modules/preference/preference.resolver';
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
  for (const [typeName, extra] of Object.entries(entityResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), ...extra };
  }
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolvers as never }]);
  resolveEntitiesInBulk(schema);
  // Last: its checks run before everything above, _entities' included.
  guardArguments(schema);
  built = { schema, sdl, checkedFields };
  return built;
}
