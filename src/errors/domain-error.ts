/** Stable error codes: the ones DESIGN.md lists. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'EMAIL_TAKEN'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_LOCKED'
  | 'INVALID_TWO_FACTOR_CODE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * The one error type services throw. `formatError` turns it into a GraphQL error whose
 * `extensions.code` is the code; everything that is not a DomainError is hidden from clients.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors?: FieldError[];
  /** Extra `extensions` for the client, e.g. retryAfterSeconds. Never personal data. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, fieldErrors?: FieldError[], details?: Record<string, unknown>) {
    // An answer to the client, not a fault of ours: nobody reads its stack, and capturing one
    // (then formatting it, as graphql-js copies it onto the GraphQLError) was a tenth of the
    // cost of a refused request in a flood of them. Outages and bugs keep theirs.
    const limit = Error.stackTraceLimit;
    if (code !== 'SERVICE_UNAVAILABLE' && code !== 'INTERNAL_SERVER_ERROR') Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'DomainError';
    this.code = code;
    this.fieldErrors = fieldErrors;
    this.details = details;
  }

  /**
   * graphql-js copies an original error's `extensions` onto the GraphQLError it wraps it in, so
   * the code travels even where formatError does not run: events that Apollo's HTTP callback
   * plugin posts to a router go out as graphql-js made them.
   */
  get extensions(): Record<string, unknown> {
    return { code: this.code, ...(this.fieldErrors ? { fieldErrors: this.fieldErrors } : {}), ...this.details };
  }

  static badInput(field: string, message: string): DomainError {
    return new DomainError('BAD_USER_INPUT', `${field}: ${message}`, [{ field, message }]);
  }

  static notFound(what: string): DomainError {
    return new DomainError('NOT_FOUND', `${what} not found`);
  }
}
