import fs from 'node:fs';
import path from 'node:path';
import { GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { enforcementOf } from '../src/auth/authorize';
import { FIELD_RULES } from '../src/auth/rules';
import { missingRules, renderRuleTable, requiredCoordinates, strayRules } from '../src/auth/rules-doc';
import type { Viewer } from '../src/auth/viewer';
import { buildCustomerSchema } from '../src/schema';

// Deny by default, declared: every root field, subscription, entity type and Customer-subtree
// field names a rule of src/auth/rules.ts, and the printed table is committed, so a change to who
// may do what shows in review (like schema/customer.graphql).

const root = path.resolve(__dirname, '..');
const committed = fs.readFileSync(path.join(root, 'schema/authorization-rules.md'), 'utf8');

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const alice: Viewer = { kind: 'customer', customerId: ALICE, sessionId: null };
const bob: Viewer = { kind: 'customer', customerId: BOB, sessionId: null };
const service: Viewer = { kind: 'staff', role: 'SERVICE', subject: 'orders', sessionId: null };
const admin: Viewer = { kind: 'staff', role: 'ADMIN', subject: 'admin-1', sessionId: null };

function field(schema: GraphQLSchema, type: string, name: string) {
  return (schema.getType(type) as GraphQLObjectType).getFields()[name];
}

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('authorization rules', () => {
  const { schema, checkedFields } = buildCustomerSchema();

  it('declares a rule for every root field, subscription, entity type and Customer-subtree field', () => {
    expect(missingRules(schema)).toEqual([]);
  });

  it('declares none for a field that does not exist (a renamed field leaves no stale rule behind)', () => {
    expect(strayRules(schema)).toEqual([]);
  });

  it('fails when a rule is missing, whichever kind of field lost it', () => {
    const required = requiredCoordinates(schema);
    for (const lost of ['Query.customers', 'Mutation.updateAddress', 'Subscription.customerChanged', 'Customer.email', 'ConsentRecord.ipAddress']) {
      expect(required).toContain(lost);
      const { [lost]: _gone, ...rest } = FIELD_RULES;
      expect(missingRules(schema, rest)).toEqual([lost]);
    }
    // Entry points into the subtree from elsewhere, and every resolvable entity type, count too.
    expect(required).toEqual(expect.arrayContaining(['AuthPayload.customer', 'CustomerChangeEvent.customer', 'Customer.__resolveReference']));
    expect(required).not.toContain('Product.__resolveReference'); // resolvable: false, refused by _entities
  });

  it('schema/authorization-rules.md is the table printed (run `npm run schema:emit` after changing rules)', () => {
    expect(renderRuleTable(schema)).toBe(committed);
  });

  it("wraps exactly the fields whose rule is checked on the field: root fields and the Customer fields whose rule differs from their parent's", () => {
    const onField = Object.entries(FIELD_RULES)
      .filter(([coordinate, entry]) => enforcementOf(coordinate, entry) === 'field')
      .map(([coordinate]) => coordinate);
    expect([...checkedFields].sort()).toEqual(onField.sort());
    // The plain fields of a customer are not wrapped: no resolver, no middleware chain per row.
    for (const name of ['email', 'firstName', 'status', 'createdAt']) expect(field(schema, 'Customer', name).resolve).toBeUndefined();
  });

  it('every PUBLIC root field is meant to be (a new root field is FORBIDDEN until declared)', () => {
    const open = Object.entries(FIELD_RULES)
      .filter(([c, e]) => /^(Query|Mutation|Subscription)\./.test(c) && e.rule === 'PUBLIC')
      .map(([c]) => c)
      .sort();
    expect(open).toEqual(
      [
        'Query.me',
        'Query._entities',
        'Query._service',
        'Mutation.register',
        'Mutation.login',
        'Mutation.verifyEmail',
        'Mutation.requestPasswordReset',
        'Mutation.resetPassword',
      ].sort(),
    );
  });

  it('redacting rules sit on fields with a resolver of their own', () => {
    for (const [coordinate, entry] of Object.entries(FIELD_RULES)) {
      if (enforcementOf(coordinate, entry) !== 'redact') continue;
      const [type, name] = coordinate.split('.');
      expect([coordinate, typeof field(schema, type, name).resolve]).toEqual([coordinate, 'function']);
    }
  });

  describe("the list shortcut (addresses answered from the row) asks the field's rule", () => {
    const info = {} as GraphQLResolveInfo;
    const row = { id: ALICE, addresses: [{ id: 'a1', customerId: ALICE }], group: { id: 'g' }, preferences: { customerId: ALICE } };
    const addresses = field(schema, 'Customer', 'addresses').resolve!;

    it('answers the attached list to the owner and ADMIN', () => {
      expect(addresses(row, {}, { viewer: alice }, info)).toBe(row.addresses);
      expect(addresses(row, {}, { viewer: admin }, info)).toBe(row.addresses);
    });

    it('refuses SERVICE and another customer as the resolver would, even with the list on the row', () => {
      expect(codeOf(() => addresses(row, {}, { viewer: service }, info))).toBe('FORBIDDEN');
      expect(codeOf(() => addresses(row, {}, { viewer: bob }, info))).toBe('NOT_FOUND');
    });

    it('leaves group and preferences to the rule that admitted the customer (INHERIT)', () => {
      expect(field(schema, 'Customer', 'group').resolve!(row, {}, { viewer: service }, info)).toBe(row.group);
      expect(field(schema, 'Customer', 'preferences').resolve!(row, {}, { viewer: service }, info)).toBe(row.preferences);
    });
  });
});
