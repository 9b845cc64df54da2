/**
 * What a log line may say about an error: its type, code, a scrubbed message and the stack
 * frames, plus PostgreSQL's identifiers (constraint, table, column). Never an error's other
 * properties: a PostgreSQL error's `detail` quotes the row or key that failed ("Key
 * (lower(email))=(ann@example.com) already exists", "Failing row contains (...)"), `where`
 * and `internalQuery` quote statements, and a driver or HTTP error may carry its request.
 */

/** PostgreSQL error fields that name schema objects, never values. */
const PG_IDENTIFIERS = ['severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine'] as const;

const SCRUBBERS: [RegExp, string][] = [
  [/\bBearer\s+\S+/gi, 'Bearer [redacted]'],
  [/\beyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[jwt]'],
  [/\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}/g, '[hash]'],
  [/[^\s@"'<>()[\],;:=]+@[^\s@"'<>()[\],;:=]+\.[A-Za-z]{2,}/g, '[email]'],
  // Tokens, TOTP secrets, ids: long runs of letters with digits among them (identifiers such
  // as constraint names have none, and stay readable).
  [/\b(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,}={0,2}/g, '[token]'],
];

/** Emails, bearer tokens, JWTs, bcrypt hashes and long token-like strings replaced by placeholders. */
export function scrub(text: string, max = 500): string {
  let out = text.length > max ? `${text.slice(0, max)}...` : text;
  for (const [pattern, replacement] of SCRUBBERS) out = out.replace(pattern, replacement);
  return out;
}

function isPgError(e: Record<string, unknown>): boolean {
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/** The pino serializer for `err`: see the file comment. Strings are scrubbed; other values pass. */
export function safeError(err: unknown, depth = 0): unknown {
  if (typeof err === 'string') return scrub(err);
  if (!err || typeof err !== 'object') return err;
  const e = err as Record<string, unknown>;
  const out: Record<string, unknown> = { type: (err as Error).name ?? (err as object).constructor?.name ?? 'Error' };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const pg = isPgError(e);
  if (typeof e.message === 'string') {
    // Class 22 (data exception) messages quote the refused value: `invalid input syntax for type uuid: "..."`.
    out.message = pg && (e.code as string).startsWith('22') ? 'data exception (message omitted: it quotes the value)' : scrub(e.message);
  }
  if (pg) {
    for (const key of PG_IDENTIFIERS) if (typeof e[key] === 'string') out[key] = e[key];
  }
  if (typeof e.stack === 'string') {
    // Frames only: the first line repeats the unscrubbed message.
    const frames = e.stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .slice(0, 15);
    if (frames.length) out.stack = frames.join('\n');
  }
  if (e.cause !== undefined && depth < 2) out.cause = safeError(e.cause, depth + 1);
  return out;
}
