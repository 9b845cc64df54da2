import pino from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout. Authorization headers and secrets are redacted wherever they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'customer-subgraph' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', '*.password', '*.token', '*.secret', '*.email'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
