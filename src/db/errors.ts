import { DomainError } from '../errors/domain-error';

interface PgLikeError {
  code?: string;
  constraint?: string;
  message?: string;
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** True when the database is down or unreachable, as opposed to refusing a statement. */
export function isConnectionError(err: unknown): boolean {
  const e = err as PgLikeError;
  if (!e || typeof e !== 'object') return false;
  const code = e.code ?? '';
  if (CONNECTION_ERRNOS.has(code)) return true;
  // 08: connection exception; 57P01-57P03: shutdown / cannot connect now; 53300: too many
  // connections; 25P03: the session sat idle in a transaction too long and was ended.
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '25P03'].includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(e.message ?? '');
}

export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as PgLikeError)?.code;
  return code === '40001' || code === '40P01';
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgLikeError;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * Maps driver errors to domain errors at the data layer's edge: a dead database, or a statement
 * cancelled for taking too long, becomes SERVICE_UNAVAILABLE, and a value the database refuses
 * as malformed (class 22, e.g. a string longer than its column) becomes BAD_USER_INPUT instead
 * of a 500. Everything else
 * (constraint violations included, which services inspect) passes through unchanged.
 */
export function translateDbError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  // TypeORM's QueryFailedError around an error the data layer already translated.
  const wrapped = (err as { driverError?: unknown } | null)?.driverError;
  if (wrapped instanceof DomainError) return wrapped;
  if (isConnectionError(err)) return new DomainError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly');
  const code = (err as PgLikeError)?.code;
  // 57014: cancelled, here by statement_timeout (a lock held elsewhere, or an overloaded server).
  if (code === '57014') return new DomainError('SERVICE_UNAVAILABLE', 'The database did not answer in time; retry shortly');
  if (typeof code === 'string' && code.startsWith('22')) {
    return new DomainError('BAD_USER_INPUT', 'A value was refused by the database as malformed or too long');
  }
  return err;
}
