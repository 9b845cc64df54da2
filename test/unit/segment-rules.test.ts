import { SegmentField, SegmentOperator } from '../../src/common/enums';
import { SqlParams } from '../../src/db/sql-params';
import { DomainError } from '../../src/errors/domain-error';
import { compileMembership } from '../../src/modules/segment/segment.repository';
import { checkRules } from '../../src/modules/segment/segment.rules';

const rule = (field: SegmentField, operator: SegmentOperator, value: unknown, weight?: number) => ({ field, operator, value, weight });

function refusal(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('BAD_USER_INPUT');
    return (err as DomainError).fieldErrors![0];
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('checkRules', () => {
  it('normalises values for their field: upper-case enums and countries, lower-case domains, decimals as text', () => {
    expect(
      checkRules(
        [
          rule(SegmentField.COUNTRY_CODE, SegmentOperator.IN, [' nl', 'de ']),
          rule(SegmentField.EMAIL_DOMAIN, SegmentOperator.CONTAINS, 'Example.COM'),
          rule(SegmentField.TOTAL_SPENT, SegmentOperator.GTE, 99.5, 3),
          rule(SegmentField.CUSTOMER_TYPE, SegmentOperator.EQ, 'business'),
        ],
        1,
      ),
    ).toEqual([
      { field: 'COUNTRY_CODE', operator: 'IN', value: ['NL', 'DE'], weight: 1 },
      { field: 'EMAIL_DOMAIN', operator: 'CONTAINS', value: 'example.com', weight: 1 },
      { field: 'TOTAL_SPENT', operator: 'GTE', value: '99.5', weight: 3 },
      { field: 'CUSTOMER_TYPE', operator: 'EQ', value: 'BUSINESS', weight: 1 },
    ]);
  });

  it('names the broken rule and part in its refusal', () => {
    expect(refusal(() => checkRules([], 1))).toEqual({ field: 'input.rules', message: 'a segment needs at least one rule' });
    expect(refusal(() => checkRules([rule(SegmentField.AGE, SegmentOperator.GT, 30), rule(SegmentField.AGE, SegmentOperator.CONTAINS, 3)], 1)).field).toBe(
      'input.rules[1].operator',
    );
    expect(refusal(() => checkRules([rule(SegmentField.TOTAL_ORDERS, SegmentOperator.GT, 1.5)], 1)).field).toBe('input.rules[0].value');
    expect(refusal(() => checkRules([rule(SegmentField.COUNTRY_CODE, SegmentOperator.EQ, 'XX')], 1)).message).toMatch(/ISO 3166-1/);
    expect(refusal(() => checkRules([rule(SegmentField.STATUS, SegmentOperator.IN, [])], 1)).message).toMatch(/list of 1 to 100/);
    expect(refusal(() => checkRules([rule(SegmentField.EMAIL_VERIFIED, SegmentOperator.EQ, 'yes')], 1)).message).toMatch(/true or false/);
    expect(refusal(() => checkRules([rule(SegmentField.AGE, SegmentOperator.GT, 1, 5000)], 1)).field).toBe('input.rules[0].weight');
    expect(refusal(() => checkRules([rule(SegmentField.AGE, SegmentOperator.GT, 1)], 0)).field).toBe('input.minScore');
    expect(
      refusal(() =>
        checkRules(
          Array.from({ length: 21 }, () => rule(SegmentField.AGE, SegmentOperator.GT, 1)),
          1,
        ),
      ).message,
    ).toMatch(/at most 20/);
  });
});

describe('compileMembership', () => {
  it('sums the weights of matching rules against minScore, with every value as a parameter', () => {
    const p = new SqlParams();
    const rules = checkRules(
      [rule(SegmentField.TOTAL_ORDERS, SegmentOperator.GTE, 5, 2), rule(SegmentField.EMAIL_DOMAIN, SegmentOperator.EQ, "x'; DROP TABLE customers; --")],
      2,
    );
    const { sql, joins } = compileMembership(rules, 2, p);
    expect(sql).toBe(
      "(CASE WHEN coalesce(coalesce(st.total_orders, 0) >= $1::int, false) THEN $2::int ELSE 0 END + CASE WHEN coalesce(lower(split_part(c.email, '@', 2)) = $3::text, false) THEN $4::int ELSE 0 END) >= $5::int",
    );
    expect(p.values).toEqual([5, 2, "x'; drop table customers; --", 1, 2]);
    expect([...joins]).toEqual(['LEFT JOIN customer_statistics st ON st.customer_id = c.id']);
  });

  it('makes NEQ and NOT_IN the exact negation of EQ and IN (unknown values never match EQ)', () => {
    const p = new SqlParams();
    const rules = checkRules([rule(SegmentField.GROUP_CODE, SegmentOperator.NEQ, 'vip'), rule(SegmentField.AGE, SegmentOperator.NOT_IN, [18, 19])], 1);
    const { sql, joins } = compileMembership(rules, 1, p);
    expect(sql).toContain('NOT coalesce(g.code = $1::text, false)');
    expect(sql).toContain('NOT coalesce(extract(year FROM age(');
    expect(sql).toContain('= ANY($3::int[]), false)');
    expect(p.values).toEqual(['VIP', 1, [18, 19], 1, 1]);
    expect([...joins]).toEqual(['LEFT JOIN customer_groups g ON g.id = c.group_id']);
  });
});
