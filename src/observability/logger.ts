import pino from 'pino';
import { safeError } from './safe-error';
import { traceLogOptions } from './tracing';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout. Errors are logged through safeError (type, code, scrubbed message,
 * stack frames; never a database error's `detail`, which quotes values); authorization
 * headers and secrets are redacted wherever they appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'customer-subgraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: safeError, error: safeError },
    // traceId and spanId of the active span (tracing on, inside a request); nothing otherwise.
    ...traceLogOptions,
    redact: {
      paths: ['req.headers.authorization', '*.authorization', '*.password', '*.token', '*.accessToken', '*.secret', '*.email', '*.variables'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
