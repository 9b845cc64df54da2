import { CustomerStatus, CustomerType, SegmentField, SegmentOperator } from '../../common/enums';
import { DomainError } from '../../errors/domain-error';
import { isCountryCode } from '../address/postal-code';

/** A rule as stored (value already checked and normalised for its field). */
export interface SegmentRuleRecord {
  field: SegmentField;
  operator: SegmentOperator;
  value: RuleValue;
  weight: number;
}

export type RuleValue = number | string | boolean | number[] | string[];

export type FieldKind = 'integer' | 'decimal' | 'text' | 'boolean';

interface FieldSpec {
  kind: FieldKind;
  /** Allowed values (enums), compared after `normalise`. */
  allowed?: readonly string[];
  normalise?: (v: string) => string;
  check?: (v: string) => string | null;
  /** CONTAINS makes sense only for free text. */
  contains?: boolean;
}

const upper = (v: string) => v.trim().toUpperCase();
const lower = (v: string) => v.trim().toLowerCase();

/**
 * Each field's type and how its values are checked. Amounts are exact decimals; ages and day
 * counts are whole numbers; COUNTRY_CODE is the country of the default shipping address. What
 * each field reads in SQL is the segment repository's (segment.repository.ts FIELD_SQL).
 */
export const FIELDS: Record<SegmentField, FieldSpec> = {
  TOTAL_ORDERS: { kind: 'integer' },
  TOTAL_SPENT: { kind: 'decimal' },
  AVERAGE_ORDER_VALUE: { kind: 'decimal' },
  DAYS_SINCE_LAST_ORDER: { kind: 'integer' },
  DAYS_SINCE_REGISTRATION: { kind: 'integer' },
  CUSTOMER_TYPE: { kind: 'text', allowed: Object.values(CustomerType), normalise: upper },
  STATUS: { kind: 'text', allowed: Object.values(CustomerStatus), normalise: upper },
  GROUP_CODE: { kind: 'text', normalise: upper },
  COUNTRY_CODE: {
    kind: 'text',
    normalise: upper,
    check: (v) => (isCountryCode(v) ? null : `"${v}" is not an ISO 3166-1 alpha-2 country code`),
  },
  EMAIL_DOMAIN: { kind: 'text', normalise: lower, contains: true },
  EMAIL_VERIFIED: { kind: 'boolean' },
  EMAIL_MARKETING: { kind: 'boolean' },
  AGE: { kind: 'integer' },
};

const OPERATORS: Record<FieldKind, readonly SegmentOperator[]> = {
  integer: [
    SegmentOperator.EQ,
    SegmentOperator.NEQ,
    SegmentOperator.GT,
    SegmentOperator.GTE,
    SegmentOperator.LT,
    SegmentOperator.LTE,
    SegmentOperator.IN,
    SegmentOperator.NOT_IN,
  ],
  decimal: [
    SegmentOperator.EQ,
    SegmentOperator.NEQ,
    SegmentOperator.GT,
    SegmentOperator.GTE,
    SegmentOperator.LT,
    SegmentOperator.LTE,
    SegmentOperator.IN,
    SegmentOperator.NOT_IN,
  ],
  text: [SegmentOperator.EQ, SegmentOperator.NEQ, SegmentOperator.IN, SegmentOperator.NOT_IN, SegmentOperator.CONTAINS],
  boolean: [SegmentOperator.EQ, SegmentOperator.NEQ],
};

const LIST_OPERATORS = new Set([SegmentOperator.IN, SegmentOperator.NOT_IN]);
const MAX_RULES = 20;
const MAX_LIST = 100;
const DECIMAL = /^-?\d{1,12}(\.\d{1,2})?$/;

export interface RuleInput {
  field: SegmentField;
  operator: SegmentOperator;
  value: unknown;
  weight?: number | null;
}

/**
 * Checks every rule against its field's type and answers them normalised, or throws
 * BAD_USER_INPUT naming the rule (`input.rules[2].value`). Nothing unchecked is ever stored,
 * so compiling a stored rule cannot fail.
 */
export function checkRules(rules: RuleInput[], minScore: number): SegmentRuleRecord[] {
  if (rules.length === 0) throw DomainError.badInput('input.rules', 'a segment needs at least one rule');
  if (rules.length > MAX_RULES) throw DomainError.badInput('input.rules', `at most ${MAX_RULES} rules`);
  if (!Number.isInteger(minScore) || minScore < 1 || minScore > 1_000_000)
    throw DomainError.badInput('input.minScore', 'must be a whole number from 1 to 1000000');
  return rules.map((rule, i) => {
    const at = `input.rules[${i}]`;
    const spec = FIELDS[rule.field];
    const weight = rule.weight ?? 1;
    if (!Number.isInteger(weight) || weight < -1000 || weight > 1000) throw DomainError.badInput(`${at}.weight`, 'must be a whole number from -1000 to 1000');
    if (!OPERATORS[spec.kind].includes(rule.operator) || (rule.operator === SegmentOperator.CONTAINS && !spec.contains)) {
      throw DomainError.badInput(`${at}.operator`, `${rule.operator} does not apply to ${rule.field}`);
    }
    const value = LIST_OPERATORS.has(rule.operator) ? checkList(rule, spec, `${at}.value`) : checkOne(rule.value, rule.field, spec, `${at}.value`);
    return { field: rule.field, operator: rule.operator, value, weight };
  });
}

function checkList(rule: RuleInput, spec: FieldSpec, at: string): number[] | string[] {
  if (!Array.isArray(rule.value) || rule.value.length === 0 || rule.value.length > MAX_LIST) {
    throw DomainError.badInput(at, `${rule.operator} needs a list of 1 to ${MAX_LIST} values`);
  }
  return rule.value.map((v) => checkOne(v, rule.field, spec, at)) as number[] | string[];
}

function checkOne(value: unknown, field: SegmentField, spec: FieldSpec, at: string): number | string | boolean {
  switch (spec.kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2_000_000_000) {
        throw DomainError.badInput(at, `${field} compares whole numbers`);
      }
      return value;
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text !== 'string' || !DECIMAL.test(text.trim())) throw DomainError.badInput(at, `${field} compares amounts such as 100 or "99.95"`);
      return text.trim();
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw DomainError.badInput(at, `${field} compares true or false`);
      return value;
    case 'text': {
      if (typeof value !== 'string' || value.trim() === '' || value.length > 255) throw DomainError.badInput(at, `${field} compares text`);
      const v = spec.normalise ? spec.normalise(value) : value;
      if (spec.allowed && !spec.allowed.includes(v)) throw DomainError.badInput(at, `${field} is one of ${spec.allowed.join(', ')}`);
      const problem = spec.check?.(v);
      if (problem) throw DomainError.badInput(at, problem);
      return v;
    }
  }
}
