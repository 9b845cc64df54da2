import { DomainError, FieldError } from '../errors/domain-error';
import { textProblem } from './text';

export const MAX_JSON_BYTES = 16 * 1024;
/** Deeper than any sensible metadata; recursive code (JSON.stringify, JSONB) must never meet 100,000 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Checks a client's JSON value without recursion (a deeply nested one overflowed the stack of
 * JSON.stringify): nesting depth, its size as JSON text, text PostgreSQL's JSONB refuses
 * (NUL, unpaired surrogates) in keys and strings, and numbers JSON has none of (Infinity).
 * Stops at the first problem.
 */
export function jsonProblem(field: string, value: unknown, maxBytes = MAX_JSON_BYTES): FieldError | null {
  // Problems name the field, never a key inside it: keys are the client's text, of any length.
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let bytes = 0;
  while (stack.length) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'string') {
      bytes += Buffer.byteLength(JSON.stringify(v));
      const problem = textProblem(v);
      if (problem) return { field, message: problem };
    } else if (v !== null && typeof v === 'object') {
      if (item.depth >= MAX_JSON_DEPTH) return { field, message: `must be nested at most ${MAX_JSON_DEPTH} levels deep` };
      bytes += 2;
      const array = Array.isArray(v);
      for (const [key, child] of Object.entries(v)) {
        // A comma, and for an object its key and colon.
        bytes += array ? 1 : Buffer.byteLength(JSON.stringify(key)) + 2;
        const problem = array ? null : textProblem(key);
        if (problem) return { field, message: `keys ${problem}` };
        stack.push({ value: child, depth: item.depth + 1 });
      }
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      // `1e400` parses as Infinity, which JSON (and JSONB) cannot hold: it was stored as null.
      return { field, message: 'numbers must be finite' };
    } else {
      bytes += String(v).length;
    }
    if (bytes > maxBytes) return { field, message: `must be at most ${maxBytes} bytes of JSON` };
  }
  return null;
}

/** metadata/custom blobs: a JSON object of bounded depth and size, so one client cannot bloat rows. */
export function jsonObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw DomainError.badInput(field, 'must be a JSON object');
  const problem = jsonProblem(field, value);
  if (problem) throw new DomainError('BAD_USER_INPUT', `${problem.field}: ${problem.message}`, [problem]);
  return value as Record<string, unknown>;
}
