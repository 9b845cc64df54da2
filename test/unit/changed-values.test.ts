import { changedValues } from '../../src/application/unit-of-work';

describe('changedValues (the halves of an audit row)', () => {
  const before = { firstName: 'Ann', lastName: 'Lee', metadata: { a: 1 }, phone: null as string | null, secret: 'x' };

  it('lists only the audited fields that changed, with their old and new values', () => {
    const after = { ...before, firstName: 'Anna', phone: '+3161234567', secret: 'y' };
    expect(changedValues(before, after, ['firstName', 'lastName', 'metadata', 'phone'])).toEqual({
      oldValues: { firstName: 'Ann', phone: null },
      newValues: { firstName: 'Anna', phone: '+3161234567' },
      changed: ['firstName', 'phone'],
    });
  });

  it('compares JSON values by content, and turns undefined into null', () => {
    expect(changedValues(before, { ...before, metadata: { a: 1 } }, ['metadata']).changed).toEqual([]);
    expect(changedValues(before, { ...before, metadata: { a: 2 } }, ['metadata']).newValues).toEqual({ metadata: { a: 2 } });
    const created = changedValues({} as typeof before, before, ['firstName', 'phone']);
    expect(created).toEqual({ oldValues: { firstName: null }, newValues: { firstName: 'Ann' }, changed: ['firstName'] });
  });
});
