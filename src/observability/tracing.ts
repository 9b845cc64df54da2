import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Attributes } from '@opentelemetry/api';
import type { ExecutionArgs } from 'graphql';
import type { Config } from '../config/config';
// pino's type, not ./logger's alias: logger.ts imports this module (its log mixin).
import type { Logger } from 'pino';
import type { OtelTracing, RequestHandler } from './tracing-sdk';

export type { RequestHandler };

/**
 * The tracing facade the rest of the code calls (SQL in src/db, DataLoader batches in
 * src/context/loaders.ts, the trace id of request meta, the /graphql handler).
 *
 * Zero cost when off (CUSTOMER_TRACING_ENABLED=false, the default):
 * - nothing of OpenTelemetry is loaded: this module imports types only, and the SDK and the
 *   exporter (about 120 ms and 4 MB of heap at start-up) are `require`d by startTracing only
 *   when tracing is on. No provider, context manager or propagator is registered, so the
 *   global OpenTelemetry API stays a no-op and no async-hooks context tracking runs;
 * - every entry point below begins with `otel === null`, one load and compare of a module
 *   variable, and then calls straight through: no span objects, no context lookups;
 * - the hot call sites (every SQL statement) test `isTracing()` before building the closure
 *   they would hand to `sqlSpan`, so not even a closure is allocated; DataLoaders are returned
 *   unwrapped, and the /graphql handler and Apollo's plugin list are the very same objects as
 *   without this module.
 *
 * When on, one provider serves the process (several apps in one process, as in tests, share
 * it; the last one to close shuts it down, flushing what is buffered).
 */
let otel: OtelTracing | null = null;
let users = 0;

/** graphql's execute or subscribe, as graphql-ws calls them. */
type Execution<R> = (args: ExecutionArgs) => R;

export interface Tracing {
  readonly enabled: boolean;
  /** The /graphql handler with one SERVER span per request, parented by the caller's `traceparent`. */
  traceRequests(handler: RequestHandler): RequestHandler;
  /** Names the request span after the operation and records its errors. */
  readonly plugins: ApolloServerPlugin<BaseContext>[];
  /**
   * graphql-ws's `execute` and `subscribe` options: graphql's own, each run in an operation
   * span. Off: empty, so graphql-ws calls graphql's functions directly.
   */
  wsExecution<E, S>(execute: Execution<E>, subscribe: Execution<S>): { execute?: Execution<E>; subscribe?: Execution<S> };
  /** Exports what is buffered; the last app to close shuts the provider down. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = {
  enabled: false,
  traceRequests: (handler) => handler,
  plugins: [],
  wsExecution: () => ({}),
  shutdown: async () => undefined,
};

/** Called once per app (createApp). With tracing off it only returns the no-op handle above. */
export function startTracing(config: Config, logger: Logger): Tracing {
  if (!config.tracingEnabled) return OFF;
  if (otel === null) {
    // Loaded here, not imported at the top: with tracing off the SDK is never loaded at all.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
    otel = new sdk.OtelTracing(config.tracing, logger);
    logger.info({ endpoint: config.tracing.endpoint, serviceName: config.tracing.serviceName }, 'tracing: exporting spans over OTLP/HTTP');
  }
  users += 1;
  const current = otel;
  let closed = false;
  return {
    enabled: true,
    traceRequests: (handler) => current.traceRequests(handler),
    plugins: [current.plugin],
    wsExecution: (execute, subscribe) => ({
      execute: (args) => current.traceExecution(args, () => execute(args)),
      subscribe: (args) => current.traceExecution(args, () => subscribe(args)),
    }),
    shutdown: async () => {
      if (closed) return;
      closed = true;
      users -= 1;
      if (users > 0) return current.flush();
      if (otel === current) otel = null;
      await current.shutdown();
    },
  };
}

/** True while a tracing provider is running in this process: guard for call sites that would allocate. */
export function isTracing(): boolean {
  return otel !== null;
}

/** Runs fn in a span (a child of the active one, or a new trace); with tracing off, just fn(). */
export function span<T>(name: string, attributes: Attributes | undefined, fn: () => T): T {
  return otel === null ? fn() : otel.span(name, attributes, fn);
}

/**
 * One CLIENT span per SQL statement, only under an active span (an operation or a batch):
 * background work (the outbox relay's polling, retention, migrations) makes no traces.
 * `text` is the parameterised statement; parameter values are never recorded.
 */
export function sqlSpan<T>(text: string, run: () => Promise<T>): Promise<T> {
  return otel === null ? run() : otel.sql(text, run);
}

/** Wraps a DataLoader's batch function in a `dataloader.batch <name>` span; with tracing off, the loader untouched. */
export function traceBatches<L extends object>(name: string, loader: L): L {
  return otel === null ? loader : otel.traceBatches(name, loader);
}

/**
 * fn made to run outside any trace, for background work a request merely kicks off (the
 * outbox relay's round after a commit), which would otherwise inherit the request's span.
 * With tracing off (decided when called: at start-up), fn itself.
 */
export function untraced<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return otel === null ? fn : otel.untraced(fn);
}

/** The trace id of the active span (the request's trace), or null: always null with tracing off. */
export function activeTraceId(): string | null {
  return otel === null ? null : otel.activeTraceId();
}

const NO_FIELDS: Readonly<Record<string, string>> = Object.freeze({});

/** `{ traceId, spanId }` of the active span (inside a traced request), else an empty object. */
export function traceLogFields(): Readonly<Record<string, string>> {
  return otel === null ? NO_FIELDS : (otel.logFields() ?? NO_FIELDS);
}

/**
 * pino options (spread into the logger's) that put `traceId` and `spanId` on every line
 * written inside a traced request. Outside one, and always with tracing off, the merge hands
 * pino its own object back: no allocation, no copy (pino's default merge would copy every
 * line into a fresh object, about 10 % of a line's cost).
 */
export const traceLogOptions = {
  mixin: traceLogFields,
  mixinMergeStrategy: (line: object, fields: object): object => (fields === NO_FIELDS ? line : Object.assign(fields, line)),
};

/** Exports every finished span now (tests; shutdown flushes by itself). */
export async function flushTracing(): Promise<void> {
  await otel?.flush();
}
