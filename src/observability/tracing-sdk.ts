import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ExecutionArgs, getOperationAST, GraphQLError } from 'graphql';
import {
  Attributes,
  context,
  Context,
  defaultTextMapGetter,
  diag,
  DiagLogLevel,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/config';
import { DomainError } from '../errors/domain-error';
import type { Logger } from 'pino';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The OpenTelemetry side of src/observability/tracing.ts, loaded only when tracing is on.
 *
 * Spans:
 * - `query CustomerById` (SERVER; `graphql.operation` until the operation is known): one per
 *   /graphql request, child of the caller's W3C `traceparent` (the gateway's span) or the root
 *   of a new trace. `graphql.operation.type`, `graphql.operation.name`, `http.request.method`,
 *   `http.response.status_code`; each GraphQL error is an `exception` event with its code and
 *   path (never its message: messages can quote input).
 * - `dataloader.batch <loader>` (INTERNAL): each batch function call, with `dataloader.name`
 *   and `dataloader.batch.size`.
 * - `SELECT` / `INSERT` / ... (CLIENT): each SQL statement, with `db.system` (and
 *   `db.system.name`) `postgresql`, `db.operation.name` and `db.statement`: the parameterised
 *   text; parameter values are never recorded. A failed statement records only its SQLSTATE.
 * - `subscription OnCustomerChanged` (SERVER): one per operation over graphql-ws, the root of a
 *   new trace (a socket lives for hours; its upgrade request's traceparent is no parent for
 *   each operation), with `network.protocol.name` `websocket`. For a subscription it covers the
 *   start (authorization, the topic joined), not the events delivered later.
 * Batch and SQL spans are made only under a recording span, so background jobs make no traces.
 */
export class OtelTracing {
  private readonly provider: NodeTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();
  readonly plugin: ApolloServerPlugin<BaseContext>;

  constructor(settings: TracingConfig, logger: Logger) {
    // Export failures and SDK warnings in our log instead of nowhere.
    const warn = (message: string, ...args: unknown[]) => logger.warn({ details: args.map(plain) }, `opentelemetry: ${message}`);
    const quiet = () => undefined;
    diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);

    this.provider = new NodeTracerProvider({
      // OTEL_RESOURCE_ATTRIBUTES (e.g. deployment.environment) and the SDK's own attributes too.
      resource: defaultResource()
        .merge(detectResources({ detectors: [envDetector] }))
        .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName })),
      // OTLP over HTTP with JSON bodies; headers, timeout and compression from OTEL_EXPORTER_OTLP_*.
      // The sampler is the SDK's default: parent-based, always on (OTEL_TRACES_SAMPLER changes it).
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }))],
    });
    // Global registration: AsyncLocalStorage context manager (the active span follows async
    // code, so SQL spans nest under batches and operations) and the W3C trace-context propagator.
    this.provider.register({ propagator: this.propagator });
    this.tracer = this.provider.getTracer('customer-subgraph');
    this.plugin = operationPlugin();
  }

  traceRequests(handler: RequestHandler): RequestHandler {
    const { tracer, propagator } = this;
    return async (req, res) => {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const span = tracer.startSpan(
        'graphql.operation',
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': '/graphql' } },
        parent,
      );
      try {
        await context.with(trace.setSpan(parent, span), handler, undefined, req, res);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', (err as Error)?.name ?? 'Error');
        throw err;
      } finally {
        span.end();
      }
    };
  }

  /** graphql-ws's execute or subscribe (`run`) in an operation span. */
  traceExecution<T>(args: ExecutionArgs, run: () => T): T {
    const operation = getOperationAST(args.document, args.operationName);
    const type = operation?.operation ?? 'graphql.operation';
    const name = args.operationName ?? operation?.name?.value;
    const span = this.tracer.startSpan(
      name ? `${type} ${name}` : type,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'graphql.operation.type': type,
          ...(name ? { 'graphql.operation.name': name } : {}),
          'network.protocol.name': 'websocket',
          'url.path': '/graphql',
        },
      },
      ROOT_CONTEXT,
    );
    return within(span, trace.setSpan(ROOT_CONTEXT, span), () => {
      const result = run();
      // An ExecutionResult (a query, a mutation, a subscription refused at its start) may carry
      // errors; a subscription that started answers an iterator instead.
      const record = (value: unknown) => {
        const errors = (value as { errors?: readonly GraphQLError[] } | null)?.errors;
        if (errors) recordErrors(span, errors);
        return value;
      };
      return (result instanceof Promise ? result.then(record) : record(result)) as T;
    });
  }

  span<T>(name: string, attributes: Attributes | undefined, fn: () => T): T {
    const parent = context.active();
    const span = this.tracer.startSpan(name, { attributes }, parent);
    return within(span, trace.setSpan(parent, span), fn);
  }

  sql<T>(text: string, run: () => Promise<T>): Promise<T> {
    const parent = context.active();
    if (!trace.getSpan(parent)?.isRecording()) return run();
    const operation = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'postgresql';
    const span = this.tracer.startSpan(
      operation,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.statement': text },
      },
      parent,
    );
    // Nothing runs under a statement, so it is not made the active span (no context switch).
    return run().then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        // The SQLSTATE only: driver messages can quote values ('invalid input syntax ... "x"').
        const code = (err as { code?: unknown })?.code;
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', typeof code === 'string' ? code : 'Error');
        if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
        span.end();
        throw err;
      },
    );
  }

  /**
   * DataLoader has no hook around its batch function, so the one it was built with is wrapped
   * in place (`_batchLoadFn`, which DataLoader 2 calls as `loader._batchLoadFn(keys)`). If a
   * future DataLoader renames it, the loader is left as it is (and test/tracing.test.ts fails).
   */
  traceBatches<L extends object>(name: string, loader: L): L {
    const target = loader as { _batchLoadFn?: (keys: readonly unknown[]) => PromiseLike<unknown> };
    const batch = target._batchLoadFn;
    if (typeof batch !== 'function') return loader;
    const spanName = `dataloader.batch ${name}`;
    const tracer = this.tracer;
    target._batchLoadFn = function (this: unknown, keys: readonly unknown[]) {
      const parent = context.active();
      if (!trace.getSpan(parent)?.isRecording()) return batch.call(this, keys);
      const span = tracer.startSpan(spanName, { attributes: { 'dataloader.name': name, 'dataloader.batch.size': keys.length } }, parent);
      return within(span, trace.setSpan(parent, span), () => batch.call(this, keys));
    };
    return loader;
  }

  untraced<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => context.with(ROOT_CONTEXT, fn, undefined, ...args);
  }

  activeTraceId(): string | null {
    return trace.getSpan(context.active())?.spanContext().traceId ?? null;
  }

  logFields(): Record<string, string> | null {
    const span = trace.getSpan(context.active());
    if (!span) return null;
    const { traceId, spanId } = span.spanContext();
    return { traceId, spanId };
  }

  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** Flushes (at most 5 s: a collector that is down must not hold up the shutdown) and unregisters. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.provider.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5000);
          timer.unref();
        }),
      ]);
    } finally {
      clearTimeout(timer);
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    }
  }
}

/** Runs fn with span active, ending the span when fn (or its promise) finishes. */
function within<T>(span: Span, ctx: Context, fn: () => T): T {
  const fail = (err: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', (err as Error)?.name ?? 'Error');
    span.end();
  };
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (err) {
    fail(err);
    throw err;
  }
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    return (result as unknown as PromiseLike<unknown>).then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        fail(err);
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

/** Server faults mark the operation span as failed; client errors (bad input, not found, ...) are recorded only. */
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

function errorCode(error: { originalError?: unknown; extensions?: Record<string, unknown> }): string {
  if (error.originalError instanceof DomainError) return error.originalError.code;
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** An `exception` event per error, by code and path; server faults fail the span. */
function recordErrors(
  span: Span,
  errors: readonly { originalError?: unknown; extensions?: Record<string, unknown>; path?: readonly (string | number)[] }[],
): void {
  let fault = false;
  for (const error of errors) {
    const code = errorCode(error);
    if (SERVER_FAULTS.has(code)) fault = true;
    span.addEvent('exception', {
      'exception.type': code,
      ...(error.path ? { 'graphql.error.path': error.path.join('.') } : {}),
    });
  }
  if (fault) span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Names the request's span after its operation (`query CustomerById`, or `mutation` when
 * anonymous) and records errors. The span itself is started around the whole request by
 * traceRequests, so it is the active span while Apollo runs this plugin and the resolvers.
 */
function operationPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          const type = operation.operation;
          const name = operationName ?? operation.name?.value;
          span.updateName(name ? `${type} ${name}` : type);
          span.setAttribute('graphql.operation.type', type);
          if (name) span.setAttribute('graphql.operation.name', name);
        },
        async didEncounterErrors({ errors }) {
          recordErrors(span, errors);
        },
      };
    },
  };
}

function plain(arg: unknown): unknown {
  return arg instanceof Error ? { name: arg.name, message: arg.message } : arg;
}
