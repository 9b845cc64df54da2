import { validate, ValidationError } from 'class-validator';
import { getNamedType, type GraphQLResolveInfo } from 'graphql';
import { DomainError, FieldError } from '../errors/domain-error';
import { canonicalEmail } from './email';
import { toE164 } from './phone';

type Normalizer = (value: unknown) => unknown;
const NORMALIZERS = Symbol('normalizers');

/**
 * Declares how a field of an input class is normalised before it is validated. Without
 * one, strings are trimmed and an empty string becomes null; `@Normalize(keep)` opts out
 * (passwords and codes are taken exactly as typed).
 */
export function Normalize(fn: Normalizer): PropertyDecorator {
  return (target, key) => {
    const own: Map<string | symbol, Normalizer> = Object.prototype.hasOwnProperty.call(target, NORMALIZERS)
      ? (target as never)[NORMALIZERS]
      : new Map((target as never)[NORMALIZERS] ?? []);
    own.set(key, fn);
    Object.defineProperty(target, NORMALIZERS, { value: own, enumerable: false, configurable: true });
  };
}

export const keep: Normalizer = (v) => v;
export const trimToNull: Normalizer = (v) => (typeof v === 'string' ? v.trim() || null : v);
export const lowerCaseEmail: Normalizer = (v) => (typeof v === 'string' ? canonicalEmail(v) : v);
/**
 * "+1 (415) 555-0123" -> "+14155550123". A value that is not a valid international number is
 * left as typed, so the field's E.164 rule rejects it with a message naming the field.
 */
export const phoneNumber: Normalizer = (v) => {
  if (typeof v !== 'string' || v.trim() === '') return typeof v === 'string' ? null : v;
  return toE164(v.trim()) ?? v.trim();
};

function normalizeInPlace(obj: object): void {
  const normalizers = (obj as { [NORMALIZERS]?: Map<string | symbol, Normalizer> })[NORMALIZERS];
  for (const key of Object.keys(obj)) {
    const value = (obj as Record<string, unknown>)[key];
    const fn = normalizers?.get(key) ?? trimToNull;
    (obj as Record<string, unknown>)[key] = fn(value);
    if (Array.isArray(value)) value.forEach((v) => isInputInstance(v) && normalizeInPlace(v));
    else if (isInputInstance(value)) normalizeInPlace(value);
  }
}

/** Instances of our @InputType classes (JSON scalar values are plain objects and left alone). */
function isInputInstance(value: unknown): value is object {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value);
}

function flatten(errors: ValidationError[], prefix: string, out: FieldError[] = []): FieldError[] {
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.value == null && e.constraints) {
      // Missing (or only whitespace, which normalises to null): one message that says so, not
      // every rule a null breaks ("must be shorter than or equal to 255 characters").
      out.push({ field, message: e.constraints.isNotEmpty ?? e.constraints.isDefined ?? `${e.property} is required` });
      continue;
    }
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) flatten(e.children, field, out);
  }
  return out;
}

/**
 * type-graphql's validateFn: runs for every argument before the resolver. Input objects are
 * normalised in place, then checked with class-validator; failures answer BAD_USER_INPUT
 * with one fieldError per broken rule (one "is required" for a missing value).
 */
export async function validateArgument(value: unknown, _type?: unknown, data?: { info: GraphQLResolveInfo }): Promise<void> {
  if (!isInputInstance(value)) return;
  normalizeInPlace(value);
  // `value`: only to tell a missing value (flatten); no value is ever echoed to the client.
  const errors = await validate(value, { forbidUnknownValues: false, validationError: { target: false, value: true } });
  if (errors.length) {
    const fieldErrors = flatten(errors, argumentName(value, data?.info) ?? 'input');
    throw new DomainError('BAD_USER_INPUT', `Invalid input: ${fieldErrors.map((f) => `${f.field} ${f.message}`).join('; ')}`, fieldErrors);
  }
}

/**
 * The name of the argument a value was given as (`filter` of `customers(filter:)`), so field
 * errors name what the client wrote: type-graphql hands over the value and its class, not the
 * name. Found by input type (the class's name is its GraphQL name here); null when the field
 * has no such argument, or two of that type.
 */
function argumentName(value: object, info: GraphQLResolveInfo | undefined): string | null {
  const field = info?.parentType.getFields()[info.fieldName];
  const typeName = value.constructor.name;
  const args = field?.args.filter((a) => getNamedType(a.type).name === typeName) ?? [];
  return args.length === 1 ? args[0].name : null;
}
