import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  OperationDefinitionNode,
  ParseOptions,
  SelectionSetNode,
  specifiedRules,
  validate,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import type { Config } from '../config/config';

/**
 * Mutations worth brute-forcing (credentials, codes, tokens) or expensive and irreversible:
 * each may appear at most once per operation, so one HTTP request is one attempt.
 */
export const ONCE_PER_OPERATION: ReadonlySet<string> = new Set([
  'login',
  'register',
  'verifyTwoFactor',
  'confirmTwoFactor',
  'disableTwoFactor',
  'enableTwoFactor',
  'resetPassword',
  'changePassword',
  'requestPasswordReset',
  'requestEmailVerification',
  'verifyEmail',
  'deleteCustomer',
  'exportCustomerData',
]);

/** Limits that hold per operation however a client writes it; armor has no root-field limit. */
export interface QueryProtection {
  /** Spread into the ApolloServer options. */
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
}

/**
 * Armor reports with "Syntax Error: " in front of what are validation errors; we report the
 * limit itself. Apollo wraps every validation error as GRAPHQL_VALIDATION_FAILED (HTTP 400).
 */
function reportLimit(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
}

/**
 * Depth, aliases, cost, directives and field suggestions come from GraphQL Armor; tokens from
 * graphql-js; top-level fields from rootFieldLimit below. All of them run while the document
 * is parsed or validated, so a refused operation never reaches a resolver, and Apollo keeps
 * validated documents in its document store: a repeated operation is not checked again.
 */
export function queryProtection(config: Config): QueryProtection {
  const report = { propagateOnRejection: false, onReject: [reportLimit] };
  const { plugins, validationRules } = new ApolloArmor({
    // flattenFragments: fragments are not levels of the response, so `...F` costs nothing
    // extra and is no deeper than writing its fields inline.
    maxDepth: { n: config.maxQueryDepth, flattenFragments: true, ...report },
    maxAliases: { n: config.limits.maxAliases, ...report },
    // Armor's model: object 2, scalar 1, x1.5 per level, x`first`/`last` when a literal. A
    // variable `first` counts as 1 (validation runs once per document, without variables);
    // there the depth limit and the resolvers' cap of 100 per page are what bound the work.
    costLimit: { maxCost: config.limits.maxCost, flattenFragments: true, ...report },
    maxDirectives: { n: 50, ...report },
    // Armor's Apollo token plugin throws from parsingDidStart, which Apollo Server 5 answers
    // with HTTP 500. graphql-js counts tokens in the parser itself (parseOptions below): the
    // same limit, one parse instead of two, and Apollo answers 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    // "Did you mean ...?" names schema fields to someone who cannot introspect.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
  return {
    plugins: config.production ? [hideSuggestions, ...plugins] : plugins,
    validationRules: [...validationRules, rootFieldLimit(config.limits.maxRootFields)],
    parseOptions: { maxTokens: config.limits.maxTokens },
  };
}

/**
 * Armor's suggestion plugin masks `Did you mean "x"` (fields, arguments, types) but leaves a
 * stray `?` behind and misses graphql-js's other form, `Did you mean the enum value "X"?`, in
 * variable errors. This one runs first (in production only) and drops the whole sentence from
 * every error; armor's stays behind it as the maintained backstop.
 */
const hideSuggestions: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) error.message = withoutSuggestion(error.message);
      },
    };
  },
};

/** An error message without graphql-js's closing "Did you mean ...?" sentence. */
export function withoutSuggestion(message: string): string {
  return message.replace(/ ?Did you mean .+?\?$/, '');
}

/**
 * The same checks for operations that arrive over graphql-ws (queries and mutations may come
 * that way too, not only subscriptions), which does not go through Apollo's pipeline.
 */
export function wsDocumentChecks(config: Config, protection: QueryProtection): { parse: ParseOptions; validate: typeof validate } {
  const rules = [...specifiedRules, ...protection.validationRules, ...(config.production ? [NoSchemaIntrospectionCustomRule] : [])];
  return {
    parse: protection.parseOptions,
    validate: (schema, document) => {
      const errors = validate(schema, document, rules);
      // Production: no suggestions here either (Apollo's plugins never see these operations).
      if (config.production) for (const error of errors) error.message = withoutSuggestion(error.message);
      return errors;
    },
  };
}

/**
 * At most `max` top-level fields per operation, and each ONCE_PER_OPERATION field at most once
 * (counting fields reached through inline fragments and fragment spreads). Fields are counted
 * by response key, the unit that executes: `a: login b: login` is two logins, while the same
 * field selected twice under one key is merged by GraphQL and runs once.
 */
export function rootFieldLimit(max: number): ValidationRule {
  return (context) => {
    const collect = (set: SelectionSetNode, keys: Map<string, Set<string>>, seen: Set<string>): void => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value === '__typename') continue;
          const key = sel.alias?.value ?? sel.name.value;
          let names = keys.get(sel.name.value);
          if (!names) keys.set(sel.name.value, (names = new Set()));
          names.add(key);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          collect(sel.selectionSet, keys, seen);
        } else if (!seen.has(sel.name.value)) {
          // A fragment cycle is reported by graphql's own rule; here it only must not loop.
          seen.add(sel.name.value);
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(sel.name.value);
          if (fragment) collect(fragment.selectionSet, keys, seen);
        }
      }
    };
    return {
      OperationDefinition(op: OperationDefinitionNode) {
        // field name -> the response keys it appears under
        const keys = new Map<string, Set<string>>();
        collect(op.selectionSet, keys, new Set());
        const responseKeys = new Set<string>();
        for (const [name, aliases] of keys) {
          for (const k of aliases) responseKeys.add(k);
          if (aliases.size > 1 && ONCE_PER_OPERATION.has(name)) {
            context.reportError(new GraphQLError(`"${name}" may appear only once per operation, found ${aliases.size}.`, { nodes: [op] }));
          }
        }
        if (responseKeys.size > max) {
          context.reportError(new GraphQLError(`Root fields limit of ${max} exceeded, found ${responseKeys.size}.`, { nodes: [op] }));
        }
      },
    };
  };
}
