import { DomainError } from '../errors/domain-error';

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
  return parts;
}

export const MAX_PAGE_SIZE = 100;

/** `first` is capped at 100 (contract); a negative page size is a client error. */
export function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw DomainError.badInput('first', 'must be zero or a positive integer');
  return Math.min(n, MAX_PAGE_SIZE);
}
