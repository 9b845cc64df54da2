import { allows, authorize, authorizeLoaded, guardOf, sees } from '../../src/auth/authorize';
import { FIELD_RULES, RULES, RuleName, Use } from '../../src/auth/rules';
import type { Viewer } from '../../src/auth/viewer';

// The rule table, pure: each kind of caller against each rule, and the declared fields' rules
// about whose data (arguments, parents, loaded rows). Codes are what clients see.

const SELF = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const viewers: Record<string, Viewer> = {
  anonymous: { kind: 'anonymous' },
  self: { kind: 'customer', customerId: SELF, sessionId: null },
  other: { kind: 'customer', customerId: OTHER, sessionId: null },
  ADMIN: { kind: 'staff', role: 'ADMIN', subject: 'admin-1', sessionId: null },
  SERVICE: { kind: 'staff', role: 'SERVICE', subject: 'orders', sessionId: null },
};

type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

function outcome(fn: () => void): Outcome {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as { code: Outcome }).code;
  }
}

//                                  anonymous          self    other        ADMIN        SERVICE
const EXPECTED: Record<Exclude<RuleName, 'SEES_ACTOR' | 'SEES_CONSENT_ADDRESS'>, Outcome[]> = {
  PUBLIC: ['ok', 'ok', 'ok', 'ok', 'ok'],
  AUTHENTICATED: ['UNAUTHENTICATED', 'ok', 'ok', 'ok', 'ok'],
  CUSTOMER: ['UNAUTHENTICATED', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN'],
  STAFF: ['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'ok', 'ok'],
  ADMIN: ['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'ok', 'FORBIDDEN'],
  SELF: ['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
  SELF_OR_ADMIN: ['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'FORBIDDEN'],
  SELF_OR_ADMIN_HIDDEN: ['UNAUTHENTICATED', 'ok', 'NOT_FOUND', 'ok', 'FORBIDDEN'],
  SELF_OR_STAFF: ['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'ok'],
};

describe('RULES: each caller against each rule, about customer SELF', () => {
  const read: Use = { write: false, resource: 'Address' };

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.join(', ')}`, () => {
      const rule = RULES[name as keyof typeof EXPECTED];
      expect(Object.values(viewers).map((v) => outcome(() => rule.check(v, SELF, read)))).toEqual(expected);
    });
  }

  it('every refusing rule is in the matrix', () => {
    const refusing = Object.entries(RULES)
      .filter(([, r]) => r.kind === 'refuse')
      .map(([n]) => n);
    expect(refusing.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('a rule about no customer in particular (an omitted id) admits staff only where staff may', () => {
    expect(Object.values(viewers).map((v) => outcome(() => RULES.SELF_OR_ADMIN.check(v, null, read)))).toEqual([
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'FORBIDDEN',
      'ok',
      'FORBIDDEN',
    ]);
    // An address nobody owns (unknown id) is not found, for ADMIN too.
    expect(outcome(() => RULES.SELF_OR_ADMIN_HIDDEN.check(viewers.ADMIN, null, read))).toBe('NOT_FOUND');
  });

  it('keeps the messages clients saw: reading and changing a customer record', () => {
    const message = (write: boolean) => {
      try {
        RULES.SELF_OR_STAFF.check(viewers.other, SELF, { write, resource: 'record' });
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(message(false)).toBe('You may only read your own customer record');
    expect(message(true)).toBe('You may only change your own customer record');
  });
});

describe('redacting rules (the value is null, nothing is refused)', () => {
  const byAdmin = { actorId: 'admin-1' };
  const bySelf = { actorId: SELF };
  const byNobody = { actorId: null };

  it('SEES_ACTOR: a customer does not see who else changed their account', () => {
    const seen = (record: { actorId: string | null }) => ['self', 'ADMIN', 'SERVICE'].map((v) => RULES.SEES_ACTOR.sees(viewers[v], record));
    expect(seen(byAdmin)).toEqual([false, true, true]);
    expect(seen(bySelf)).toEqual([true, true, true]);
    expect(seen(byNobody)).toEqual([true, true, true]);
  });

  it('SEES_CONSENT_ADDRESS: ADMIN every address, the customer their own, SERVICE none', () => {
    const seen = (record: { actorId: string | null }) => ['self', 'ADMIN', 'SERVICE'].map((v) => RULES.SEES_CONSENT_ADDRESS.sees(viewers[v], record));
    expect(seen(byAdmin)).toEqual([false, true, false]);
    expect(seen(bySelf)).toEqual([true, true, false]);
  });

  it('the declared redacting fields use them', () => {
    expect(sees('ConsentRecord.ipAddress', viewers.SERVICE, bySelf)).toBe(false);
    expect(sees('AuditEvent.ipAddress', viewers.self, byAdmin)).toBe(false);
    expect(sees('AuditEvent.userAgent', viewers.ADMIN, byAdmin)).toBe(true);
    expect(() => sees('Customer.email', viewers.ADMIN, byAdmin)).toThrow(/no redacting rule/);
  });
});

describe('declared fields: whose data the rule is about', () => {
  const at = (coordinate: string, root: unknown, args: Record<string, unknown> = {}) =>
    Object.values(viewers).map((v) => outcome(() => authorize(coordinate, v, root, args)));

  it('an argument: customer(id), updatePreferences(customerId)', () => {
    expect(at('Query.customer', undefined, { id: SELF })).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'ok']);
    expect(at('Mutation.updatePreferences', undefined, { customerId: SELF })).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'FORBIDDEN']);
    expect(at('Mutation.disableTwoFactor', undefined, { customerId: SELF })).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it("the parent: a customer's addresses, audit trail and segments", () => {
    const customer = { id: SELF };
    expect(at('Customer.addresses', customer)).toEqual(['UNAUTHENTICATED', 'ok', 'NOT_FOUND', 'ok', 'FORBIDDEN']);
    expect(at('Customer.auditTrail', customer)).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'FORBIDDEN']);
    expect(at('Customer.segments', customer)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'ok', 'FORBIDDEN']);
  });

  it("inherited fields check nothing themselves: the customer's rule was asked where it entered", () => {
    expect(guardOf('Customer.email')).toBeNull();
    expect(guardOf('Customer.preferences')).toBeNull();
    expect(at('Customer.statistics', { id: SELF })).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it("customerChanged: a customer's own changes (id omitted or theirs), ADMIN any or all", () => {
    expect(at('Subscription.customerChanged', undefined, {})).toEqual(['UNAUTHENTICATED', 'ok', 'ok', 'ok', 'FORBIDDEN']);
    expect(at('Subscription.customerChanged', undefined, { customerId: SELF })).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'FORBIDDEN']);
  });

  it('_entities: per representation, and for an address its loaded owner', () => {
    expect(at('Customer.__resolveReference', { id: SELF })).toEqual(['UNAUTHENTICATED', 'ok', 'FORBIDDEN', 'ok', 'ok']);
    expect(at('CustomerAddress.__resolveReference', { id: 'a1' })).toEqual(['UNAUTHENTICATED', 'ok', 'ok', 'ok', 'ok']);
    const owner = Object.values(viewers).map((v) => outcome(() => authorizeLoaded('CustomerAddress.__resolveReference', v, { customerId: SELF })));
    expect(owner).toEqual(['UNAUTHENTICATED', 'ok', 'NOT_FOUND', 'ok', 'FORBIDDEN']);
  });

  it('updateAddress: signed in first, then the loaded address decides (none: NOT_FOUND)', () => {
    expect(at('Mutation.updateAddress', undefined, { id: 'a1' })).toEqual(['UNAUTHENTICATED', 'ok', 'ok', 'ok', 'ok']);
    expect(outcome(() => authorizeLoaded('Mutation.updateAddress', viewers.self, { customerId: OTHER }))).toBe('NOT_FOUND');
    expect(outcome(() => authorizeLoaded('Mutation.updateAddress', viewers.ADMIN, { customerId: null }))).toBe('NOT_FOUND');
    expect(outcome(() => authorizeLoaded('Mutation.updateAddress', viewers.ADMIN, { customerId: OTHER }))).toBe('ok');
  });

  it('an undeclared field is refused (deny by default)', () => {
    expect(at('Query.somethingNew', undefined)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(allows('Mutation.somethingNew', viewers.ADMIN, undefined)).toBe(false);
    expect(() => guardOf('Customer.somethingNew')).toThrow(/No authorization rule/);
  });

  it('every rule about one customer says where the id comes from', () => {
    for (const [coordinate, entry] of Object.entries(FIELD_RULES)) {
      if (entry.rule !== 'INHERIT' && RULES[entry.rule].needsCustomer) expect([coordinate, !!entry.customerOf]).toEqual([coordinate, true]);
    }
  });
});
