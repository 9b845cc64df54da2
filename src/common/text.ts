/**
 * Text PostgreSQL cannot store, or that breaks libraries on the way there: NUL (text and
 * JSONB refuse U+0000) and an unpaired UTF-16 surrogate (not a character at all: the driver
 * turns it into U+FFFD behind our back, and validator's isEmail throws on it).
 */
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why the string cannot be taken as text, or null when it can. */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (UNPAIRED_SURROGATE.test(value)) return 'must be valid Unicode text (it contains an unpaired UTF-16 surrogate)';
  return null;
}

export function isWellFormedText(value: unknown): boolean {
  return typeof value !== 'string' || textProblem(value) === null;
}
