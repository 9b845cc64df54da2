import {
  defaultFieldResolver,
  getNullableType,
  GraphQLFieldResolver,
  GraphQLInputType,
  GraphQLSchema,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { DomainError, FieldError } from '../errors/domain-error';
import { parseUuid } from './ids';
import { jsonProblem, MAX_JSON_BYTES } from './json';
import { textProblem } from './text';

/**
 * One place for what every argument must be before any resolver, loader or SQL sees it,
 * whichever field, transport (HTTP, graphql-ws, router callbacks) or nesting brings it:
 * - every `ID` argument and input field is a UUID, lower-cased (an upper-case id matched
 *   nothing in topics and policy checks, and a non-UUID reached loaders' internal keys);
 * - every `String`/`ID` is text PostgreSQL can store (no NUL, no unpaired surrogate);
 * - every `JSON` value is bounded in depth and size, with storable keys and strings.
 * A refusal is BAD_USER_INPUT with one fieldError per offending argument path; values are
 * never echoed.
 */

/** Arguments that carry another subgraph's ids, which need not be UUIDs (the catalogue's products). */
const FOREIGN_ID_ARGUMENTS = new Set(['productId']);

/**
 * Fields whose answer must not depend on what was sent (nothing may tell whether an account
 * exists): their resolvers answer malformed text as they answer an unknown account
 * (auth.resolver.ts). Ids and JSON are still checked: these fields have neither.
 */
const NON_REVEALING_FIELDS = new Set(['Mutation.login', 'Mutation.requestPasswordReset']);

type Check = (value: unknown, path: string, errors: FieldError[]) => unknown;

const idCheck: Check = (value, path, errors) => {
  if (typeof value !== 'string') return value;
  const id = parseUuid(value);
  if (id === null) errors.push({ field: path, message: 'must be a UUID' });
  return id ?? value;
};

const textCheck: Check = (value, path, errors) => {
  const problem = typeof value === 'string' ? textProblem(value) : null;
  if (problem) errors.push({ field: path, message: problem });
  return value;
};

const jsonCheck: Check = (value, path, errors) => {
  const problem = jsonProblem(path, value);
  if (problem) errors.push(problem);
  return value;
};

/**
 * `_Any`: a representation as a router sends it (`{ __typename, id }`, 100 in a gateway's
 * request) is a flat object of a few scalars, accepted after a look at each key and string,
 * without jsonProblem's walk and its allocations; anything else gets the full check.
 */
const representationCheck: Check = (value, path, errors) => (isFlatScalars(value) ? value : jsonCheck(value, path, errors));

function isFlatScalars(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // An upper bound of its size as JSON: 6 bytes a character covers any escape.
  let bytes = 2;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') {
      if (textProblem(v) !== null) return false;
      bytes += 6 * v.length + 3;
    } else if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') {
      return false;
    }
    if (textProblem(key) !== null) return false;
    bytes += 6 * key.length + 4 + 24;
  }
  return bytes <= MAX_JSON_BYTES;
}

interface Options {
  text: boolean;
}

/** The check for a value of `type`, or null when nothing about it needs checking. */
function checkFor(type: GraphQLInputType, name: string, options: Options, seen: Map<string, Check | null>): Check | null {
  const t = getNullableType(type);
  if (isListType(t)) {
    const item = checkFor(t.ofType, name, options, seen);
    if (!item) return null;
    return (value, path, errors) =>
      Array.isArray(value) ? value.map((v, i) => (v == null ? v : item(v, `${path}[${i}]`, errors))) : item(value, path, errors);
  }
  if (isScalarType(t)) {
    if (t.name === 'ID') return FOREIGN_ID_ARGUMENTS.has(name) ? (options.text ? textCheck : null) : idCheck;
    if (t.name === 'String') return options.text ? textCheck : null;
    if (t.name === 'JSON') return jsonCheck;
    if (t.name === '_Any') return representationCheck;
    return null;
  }
  if (isInputObjectType(t)) {
    const key = `${t.name}|${options.text}`;
    if (seen.has(key)) return (value, path, errors) => seen.get(key)?.(value, path, errors) ?? value;
    seen.set(key, null);
    const fields: [string, Check][] = [];
    for (const field of Object.values(t.getFields())) {
      const check = checkFor(field.type, field.name, options, seen);
      if (check) fields.push([field.name, check]);
    }
    const check: Check | null = fields.length
      ? (value, path, errors) => {
          if (value === null || typeof value !== 'object') return value;
          const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
          for (const [field, fieldCheck] of fields) if (out[field] != null) out[field] = fieldCheck(out[field], `${path}.${field}`, errors);
          return out;
        }
      : null;
    seen.set(key, check);
    return check;
  }
  return null;
}

/** Wraps, in place, the resolvers (and subscribe functions) of every field with arguments to check. */
export function guardArguments(schema: GraphQLSchema): void {
  const seen = new Map<string, Check | null>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const options = { text: !NON_REVEALING_FIELDS.has(`${type.name}.${field.name}`) };
      const checks: [string, Check][] = [];
      for (const arg of field.args) {
        const check = checkFor(arg.type, arg.name, options, seen);
        if (check) checks.push([arg.name, check]);
      }
      if (checks.length === 0) continue;
      const guard = (args: Record<string, unknown>): Record<string, unknown> => {
        const errors: FieldError[] = [];
        const out = { ...args };
        for (const [name, check] of checks) if (out[name] != null) out[name] = check(out[name], name, errors);
        if (errors.length) {
          throw new DomainError('BAD_USER_INPUT', `Invalid input: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
        }
        return out;
      };
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, ctx, info) => resolve(source, guard(args), ctx, info);
      const subscribe = field.subscribe;
      if (subscribe) field.subscribe = (source, args, ctx, info) => subscribe(source, guard(args), ctx, info);
    }
  }
}
