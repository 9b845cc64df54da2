import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  BREAK,
  DocumentNode,
  execute,
  ExecutionResult,
  getNamedType,
  GraphQLError,
  GraphQLSchema,
  isScalarType,
  isSpecifiedScalarType,
  printSchema,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { compileQuery, CompiledQuery, isCompiledQuery } from 'graphql-jit';

/** Compiled operations kept per document (Apollo keeps one parsed document per query text). */
type Compiled = Map<string, CompiledQuery | null>;

/**
 * Executes operations with graphql-jit, which compiles each operation once into a function
 * that resolves and completes its fields without graphql-js's per-field interpretation
 * (argument maps, path objects, type checks per field and per list item). Apollo Server takes
 * an executor only through its gateway hook, so this is a "gateway" over our own schema:
 * parsing, validation, plugins and formatError stay Apollo's. An operation graphql-jit cannot
 * compile runs on graphql-js, as before.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = new WeakMap<DocumentNode, Compiled>();
  const executor: GatewayExecutor = async ({ document, operation, operationName, request, context: contextValue }) => {
    const variables = request.variables ?? {};
    const interpret = (name: string | null | undefined) => execute({ schema, document, operationName: name, variableValues: variables, contextValue });
    // No operation of that name (or several and none named): graphql-js says so, as Apollo expects.
    if (!operation) return interpret(request.operationName);
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let query = byOperation.get(key);
    if (query === undefined) {
      const result = hasCustomScalarLiteral(schema, document) ? null : compileQuery(schema, document, operationName ?? undefined);
      query = result && isCompiledQuery(result) ? result : null;
      byOperation.set(key, query);
    }
    if (!query) return interpret(operationName);
    const result = (await query.query(undefined, contextValue, variables)) as ExecutionResult;
    // No data and no error of a field: the variables were refused before any resolver ran
    // (nothing ran, so nothing runs twice). graphql-js answers that again, with the errors
    // Apollo knows how to report (BAD_USER_INPUT naming the variable).
    if (!('data' in result) && result.errors?.every((e) => !e.path)) return interpret(operationName);
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
  return {
    load: async () => ({ executor }),
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    stop: async () => undefined,
  };
}

/**
 * graphql-jit reports errors with its own GraphQLError: it passes `instanceof` graphql-js's, but
 * its properties are read-only (a plugin that rewrites a message threw) and Apollo does not
 * recognise what it wraps. Each is made into graphql-js's, with the same message, locations,
 * path, extensions and original error (a DomainError keeps its code).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  if (error.locations) Object.defineProperty(converted, 'locations', { value: error.locations, enumerable: true, writable: true });
  return converted;
}

/**
 * Whether the operation writes an object or list literal where a custom scalar is expected
 * (`_entities(representations: [{ __typename: "Customer", id: $id }])`, `metadata: { k: $v }`).
 * graphql-jit reads such a literal without the operation's variables (`$id` came out undefined)
 * and into a plain object (a `__proto__` key set its prototype), where graphql-js substitutes
 * the variables and keeps every key as data: such operations run on graphql-js. Gateways send
 * representations as a variable, so this costs only unusual clients the compiled speed.
 */
function hasCustomScalarLiteral(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  const check = () => {
    const type = getNamedType(typeInfo.getInputType());
    if (type && isScalarType(type) && !isSpecifiedScalarType(type)) {
      found = true;
      return BREAK;
    }
    return undefined;
  };
  visit(document, visitWithTypeInfo(typeInfo, { ObjectValue: check, ListValue: check }));
  return found;
}
