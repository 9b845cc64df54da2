import { execute, parse } from 'graphql';
import { FIELD_RULES } from '../src/auth/rules';
import type { Viewer } from '../src/auth/viewer';

// Deny by default: a root field that the table does not name is refused before its resolver
// runs, whoever asks. The rule is taken out before the schema (and the rules' checks) are built.

describe('a root field without a declared rule', () => {
  it('answers FORBIDDEN, even to ADMIN, and its resolver never runs', async () => {
    delete FIELD_RULES['Query.customerGroups'];
    const { buildCustomerSchema } = jest.requireActual<typeof import('../src/schema')>('../src/schema');
    const { schema, checkedFields } = buildCustomerSchema();
    expect(checkedFields.has('Query.customerGroups')).toBe(true);

    const admin: Viewer = { kind: 'staff', role: 'ADMIN', subject: 'admin-1', sessionId: null };
    const list = jest.fn(async () => []);
    const result = await execute({
      schema,
      document: parse('{ customerGroups { id } }'),
      contextValue: { viewer: admin, services: { groups: { list } } },
    });
    expect(result.errors?.map((e) => [e.extensions.code, e.message])).toEqual([['FORBIDDEN', 'No authorization rule is declared for Query.customerGroups']]);
    expect(list).not.toHaveBeenCalled();
  });
});
