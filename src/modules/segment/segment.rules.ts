import { CustomerStatus, CustomerType, SegmentField, SegmentOperator } from '../../common/enums';
import type { SqlParams } from '../../db/sql-params';
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

type Kind = 'integer' | 'decimal' | 'text' | 'boolean';
/** Tables a field reads besides `customers c`, joined only when a rule needs them. */
type Join = 'statistics' | 'group' | 'preferences' | 'shipping';

interface FieldSpec {
  kind: Kind;
  /** SQL over the aliases of JOINS; a fixed string, never built from client input. */
  sql: string;
  join?: Join;
  /** Allowed values (enums), compared after `normalise`. */
  allowed?: readonly string[];
  normalise?: (v: string) => string;
  check?: (v: string) => string | null;
  /** CONTAINS makes sense only for free text. */
  contains?: boolean;
}

const upper = (v: string) => v.trim().toUpperCase();
/** Days and ages count in UTC, whatever the database session's time zone. */
const TODAY = "(now() AT TIME ZONE 'UTC')::date";
const lower = (v: string) => v.trim().toLowerCase();

/**
 * Each field's type and SQL. Amounts are exact decimals; ages and day counts are whole
 * numbers; COUNTRY_CODE is the country of the default shipping address.
 */
export const FIELDS: Record<SegmentField, FieldSpec> = {
  TOTAL_ORDERS: { kind: 'integer', sql: 'coalesce(st.total_orders, 0)', join: 'statistics' },
  TOTAL_SPENT: { kind: 'decimal', sql: 'coalesce(st.total_spent, 0)', join: 'statistics' },
  AVERAGE_ORDER_VALUE: { kind: 'decimal', sql: 'coalesce(round(st.total_spent / nullif(st.total_orders, 0), 2), 0)', join: 'statistics' },
  DAYS_SINCE_LAST_ORDER: { kind: 'integer', sql: `(${TODAY} - (st.last_order_at AT TIME ZONE 'UTC')::date)`, join: 'statistics' },
  DAYS_SINCE_REGISTRATION: { kind: 'integer', sql: `(${TODAY} - (c.created_at AT TIME ZONE 'UTC')::date)` },
  CUSTOMER_TYPE: { kind: 'text', sql: 'c.customer_type', allowed: Object.values(CustomerType), normalise: upper },
  STATUS: { kind: 'text', sql: 'c.status', allowed: Object.values(CustomerStatus), normalise: upper },
  GROUP_CODE: { kind: 'text', sql: 'g.code', join: 'group', normalise: upper },
  COUNTRY_CODE: {
    kind: 'text',
    sql: 'a.country_code',
    join: 'shipping',
    normalise: upper,
    check: (v) => (isCountryCode(v) ? null : `"${v}" is not an ISO 3166-1 alpha-2 country code`),
  },
  EMAIL_DOMAIN: { kind: 'text', sql: "lower(split_part(c.email, '@', 2))", normalise: lower, contains: true },
  EMAIL_VERIFIED: { kind: 'boolean', sql: 'c.email_verified' },
  EMAIL_MARKETING: { kind: 'boolean', sql: 'coalesce(p.email_marketing, false)', join: 'preferences' },
  AGE: { kind: 'integer', sql: `extract(year FROM age(${TODAY}, c.date_of_birth))::int` },
};

const JOINS: Record<Join, string> = {
  statistics: 'LEFT JOIN customer_statistics st ON st.customer_id = c.id',
  group: 'LEFT JOIN customer_groups g ON g.id = c.group_id',
  preferences: 'LEFT JOIN customer_preferences p ON p.customer_id = c.id',
  // At most one row: a partial unique index allows one live default per type.
  shipping: "LEFT JOIN customer_addresses a ON a.customer_id = c.id AND a.type = 'SHIPPING' AND a.is_default AND a.deleted_at IS NULL",
};

const OPERATORS: Record<Kind, readonly SegmentOperator[]> = {
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

const CAST: Record<Kind, string> = { integer: 'int', decimal: 'numeric', text: 'text', boolean: 'boolean' };
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

/** One rule as a boolean SQL condition; its value travels as a parameter. Unknown values (NULL) never match, and NEQ/NOT_IN are exactly NOT EQ/NOT IN. */
function condition(rule: SegmentRuleRecord, p: SqlParams): string {
  const spec = FIELDS[rule.field];
  const cast = CAST[spec.kind];
  const x = spec.sql;
  switch (rule.operator) {
    case SegmentOperator.EQ:
      return `coalesce(${x} = ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.NEQ:
      return `NOT coalesce(${x} = ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.GT:
      return `coalesce(${x} > ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.GTE:
      return `coalesce(${x} >= ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.LT:
      return `coalesce(${x} < ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.LTE:
      return `coalesce(${x} <= ${p.add(rule.value)}::${cast}, false)`;
    case SegmentOperator.IN:
      return `coalesce(${x} = ANY(${p.add(rule.value)}::${cast}[]), false)`;
    case SegmentOperator.NOT_IN:
      return `NOT coalesce(${x} = ANY(${p.add(rule.value)}::${cast}[]), false)`;
    case SegmentOperator.CONTAINS:
      return `coalesce(strpos(${x}, ${p.add(rule.value)}::text) > 0, false)`;
  }
}

/**
 * The membership test of a segment as one SQL boolean over `customers c` and the joins it
 * lists: the weights of the matching rules, summed, reach minScore. The same expression
 * scores one customer (incremental) and every customer (refresh), so both always agree.
 */
export function compileMembership(rules: SegmentRuleRecord[], minScore: number, p: SqlParams): { sql: string; joins: Set<string> } {
  const joins = new Set<string>();
  const terms = rules.map((rule) => {
    const join = FIELDS[rule.field].join;
    if (join) joins.add(JOINS[join]);
    return `CASE WHEN ${condition(rule, p)} THEN ${p.add(rule.weight)}::int ELSE 0 END`;
  });
  return { sql: `(${terms.join(' + ')}) >= ${p.add(minScore)}::int`, joins };
}
