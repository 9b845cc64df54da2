import { DomainError } from '../errors/domain-error';
import { textProblem } from './text';

/**
 * Opaque keyset cursors: base64url of a small JSON tuple. The tuple names the ordering it
 * was made for, so a cursor from one ordering cannot silently be used with another.
 */
export function encodeCursor(parts: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, expectedTag: string, arity: number): unknown[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = null;
  }
  if (!Array.isArray(parts) || parts.length !== arity || parts[0] !== expectedTag) {
    throw DomainError.badInput('after', 'is not a cursor of this list and ordering');
  }
  // Its values go to PostgreSQL as parameters: text it refuses (NUL) would fail the statement.
  if (parts.some((p) => typeof p === 'string' && textProblem(p) !== null)) throw DomainError.badInput('after', 'is not a valid cursor');
  return parts;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;

/**
 * A time stamp PostgreSQL takes as timestamptz (ISO 8601, or its own text form
 * `2026-12-05 08:43:44.908123+00`): a real calendar day and time of year 1 or later.
 * Date.parse is no check: it rolls 2026-02-30 over into March, where PostgreSQL refuses it.
 */
export function isTimestampText(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const [offsetHours, offsetMinutes] = [m[7], m[8]].map((v) => Number(v ?? 0));
  if (year < 1 || hour > 23 || minute > 59 || second > 59) return false;
  // PostgreSQL's offsets reach ±15:59 (`+99` was refused by the statement, not here).
  if (offsetHours > 15 || offsetMinutes > 59) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const MAX_PAGE_SIZE = 100;

/** `first` is capped at 100 (contract); a negative page size is a client error. */
export function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw DomainError.badInput('first', 'must be zero or a positive integer');
  return Math.min(n, MAX_PAGE_SIZE);
}
