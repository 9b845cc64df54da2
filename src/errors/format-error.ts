import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from '../observability/logger';
import { translateDbError } from '../db/errors';
import { DomainError } from './domain-error';

/** Codes Apollo Server itself assigns to problems with what the client sent. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The single mapping from thrown errors to what a client sees. DomainErrors keep their code
 * (and fieldErrors); Apollo's own client-error codes pass through; anything else is a bug or
 * an outage on our side: logged in full, answered as INTERNAL_SERVER_ERROR without detail
 * (no stack, no SQL).
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    // Errors raised while building the context arrive wrapped in a GraphQLError.
    const raised = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError ? unwrapped.originalError : unwrapped;
    // A database error that left the data layer untranslated (TypeORM's reads on the pool wrap
    // the driver's error in a QueryFailedError, which keeps its code): an outage is still
    // SERVICE_UNAVAILABLE, a malformed value BAD_USER_INPUT.
    const original = translateDbError(raised);
    const { message, locations, path } = formatted;
    if (original instanceof DomainError) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original.fieldErrors) extensions.fieldErrors = original.fieldErrors;
      if (original.details) Object.assign(extensions, original.details);
      return { message: original.message, locations, path, extensions };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      return { message, locations, path, extensions: { code, ...variableFieldErrors(code, message) } };
    }
    // graphql-js's own request errors (a variable of the wrong type, no operation to run) carry
    // no code where Apollo's pipeline does not add one: operations over graphql-ws.
    if (isRequestError(original)) {
      const clientCode = /^Variable "\$/.test(message) ? 'BAD_USER_INPUT' : 'BAD_REQUEST';
      return { message, locations, path, extensions: { code: clientCode, ...variableFieldErrors(clientCode, message) } };
    }
    // Apollo refuses some requests with a 4xx status but no code (an APQ hash that does not
    // match its query, an unknown APQ version): the client's fault, so BAD_REQUEST, not a 500's code.
    if (isApolloClientRefusal(original)) return { message, locations, path, extensions: { code: 'BAD_REQUEST' } };
    logger.error({ err: original, path }, 'unexpected error while executing an operation');
    return { message: 'Internal server error', locations, path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

function isApolloClientRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Raised by graphql-js before execution: tied to no field, and wrapping nothing but its own
 * errors (a variable's coercion error wraps the input's), never one thrown by our code.
 */
function isRequestError(error: unknown): boolean {
  return (
    error instanceof GraphQLError &&
    !error.path &&
    error.extensions?.code === undefined &&
    (error.originalError === undefined || error.originalError instanceof GraphQLError)
  );
}

/** `Variable "$input" got invalid value ...`: the variable is the field, as BAD_USER_INPUT promises. */
function variableFieldErrors(code: string, message: string): { fieldErrors?: { field: string; message: string }[] } {
  const m = code === 'BAD_USER_INPUT' ? /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/.exec(message) : null;
  return m ? { fieldErrors: [{ field: m[1], message }] } : {};
}
