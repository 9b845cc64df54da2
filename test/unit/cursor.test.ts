import { decodeCursor, encodeCursor, isTimestampText, MAX_PAGE_SIZE, pageSize } from '../../src/common/cursor';
import { DomainError } from '../../src/errors/domain-error';

const badInput = (fn: () => unknown, field: string) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('BAD_USER_INPUT');
    expect((err as DomainError).fieldErrors?.[0].field).toBe(field);
    return;
  }
  throw new Error('expected BAD_USER_INPUT');
};

describe('keyset cursors', () => {
  it('round-trip their tuple, url-safe', () => {
    const parts = ['CREATED_AT:ASC', '2026-12-05T10:00:00.000Z', '6f1c0e2a-0000-4000-8000-000000000001'];
    const cursor = encodeCursor(parts);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'CREATED_AT:ASC', 3)).toEqual(parts);
  });

  it('refuse a cursor of another ordering, of another arity, and garbage, naming `after`', () => {
    const cursor = encodeCursor(['CREATED_AT:ASC', 'x', 'y']);
    badInput(() => decodeCursor(cursor, 'EMAIL:ASC', 3), 'after');
    badInput(() => decodeCursor(cursor, 'CREATED_AT:ASC', 2), 'after');
    for (const garbage of ['', 'not-base64!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('"text"').toString('base64url')]) {
      badInput(() => decodeCursor(garbage, 'CREATED_AT:ASC', 3), 'after');
    }
  });
});

describe('page size', () => {
  it('defaults, caps at 100, and allows 0', () => {
    expect(pageSize(undefined, 20)).toBe(20);
    expect(pageSize(null, 20)).toBe(20);
    expect(pageSize(0, 20)).toBe(0);
    expect(pageSize(1000, 20)).toBe(MAX_PAGE_SIZE);
  });

  it('refuses negative and fractional sizes, naming `first`', () => {
    badInput(() => pageSize(-1, 20), 'first');
    badInput(() => pageSize(1.5, 20), 'first');
  });
});

describe('time stamps in cursors', () => {
  it('accepts what PostgreSQL takes as timestamptz', () => {
    for (const t of ['2026-12-05 08:43:44.908123+00', '2026-12-05T08:43:44Z', '2026-01-01 00:00:00+15:59', '2026-01-01 00:00:00-1530', '2024-02-29 23:59:59']) {
      expect(isTimestampText(t)).toBe(true);
    }
  });

  it('refuses days, times and offsets PostgreSQL refuses (it failed the statement, naming no field)', () => {
    for (const t of [
      '2026-02-30 00:00:00',
      '2026-12-05 24:00:00',
      '0000-01-01 00:00:00',
      '2026-12-05 08:43:44+99',
      '2026-12-05 08:43:44+16',
      '2026-12-05 08:43:44+05:60',
      'yesterday',
    ]) {
      expect(isTimestampText(t)).toBe(false);
    }
  });
});
