import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import { GraphQLError, Kind, OperationDefinitionNode } from 'graphql';
import type { Context } from '../context/context';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** Operation names are logged only when they look like this; a longer or odd one reads `invalid`. */
const LOGGED_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Root field names listed in the log line (the query limits allow 20 anyway). */
const MAX_FIELDS = 20;
/** Codes that mean our side failed: the line goes out at warn instead of info. */
const SERVER_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/** The codes of the errors a response carries, after formatError (what the client sees). */
function responseErrorCodes(response: GraphQLResponse): string[] {
  const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
  if (!errors?.length) return [];
  return errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));
}

/** Root field names (schema names, never aliases: those are the client's words). */
function rootFields(operation: OperationDefinitionNode | undefined): string[] {
  if (!operation) return [];
  const names = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    names.add(selection.kind === Kind.FIELD ? selection.name.value : '...');
    if (names.size >= MAX_FIELDS) break;
  }
  return [...names];
}

function loggedName(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return LOGGED_NAME.test(name) ? name : 'invalid';
}

function role(ctx: Context | undefined): string | null {
  const viewer = ctx?.viewer;
  if (!viewer) return null;
  return viewer.kind === 'anonymous' ? 'anonymous' : viewer.kind === 'customer' ? 'CUSTOMER' : viewer.role;
}

function unique(codes: string[]): string[] {
  return codes.length < 2 ? codes : [...new Set(codes)];
}

/**
 * One log line and the request metrics per GraphQL operation over HTTP. The line names the
 * operation (its name, type and root fields), how long it took, how it ended (error codes)
 * and the W3C trace id; never variables, the query text, or anything from the viewer but
 * their role. Requests refused before an operation exists (a bad token: context creation
 * fails; a malformed request) get a line and a count too, with what is known.
 */
/** The line itself: info, or warn when our side failed; outcome and error codes last. */
function logLine(logger: Logger | null, message: string, fields: Record<string, unknown>, codes: string[]): void {
  const level = codes.some((c) => SERVER_CODES.has(c)) ? 'warn' : 'info';
  if (!logger?.isLevelEnabled(level)) return;
  logger[level]({ ...fields, outcome: codes.length ? 'error' : 'ok', ...(codes.length ? { errorCodes: unique(codes) } : {}) }, message);
}

export function operationObserver(logger: Logger | null, metrics: Metrics | null): ApolloServerPlugin<Context> {
  const emit = (fields: Record<string, unknown>, codes: string[]) => logLine(logger, 'graphql operation', fields, codes);
  const refused = (error: Error, fallbackStatus: number) => {
    const code = error instanceof GraphQLError && typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
    const status = error instanceof GraphQLError ? ((error.extensions?.http as { status?: number } | undefined)?.status ?? fallbackStatus) : 500;
    metrics?.observeRequest('anonymous', [code], null);
    emit({ operation: 'anonymous', type: null, httpStatus: status, traceId: null }, [code]);
  };
  return {
    // A token that is present but invalid: context creation fails before any operation runs.
    async contextCreationDidFail({ error }) {
      refused(error, 500);
    },
    // Malformed requests (missing CSRF header, mutation over GET, ...), before an operation exists.
    async invalidRequestWasReceived({ error }) {
      refused(error, 400);
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      // Who called: read now, since a successful login or register turns the rest of the operation into the customer.
      const caller = role(contextValue);
      return {
        async willSendResponse({ response, operation, operationName, request, contextValue }) {
          const seconds = (performance.now() - started) / 1000;
          const codes = responseErrorCodes(response);
          const name = operationName ?? request.operationName;
          metrics?.observeRequest(metrics.operationLabel(name), codes, seconds);
          if (!logger) return;
          emit(
            {
              operation: loggedName(name),
              type: operation?.operation ?? null,
              fields: rootFields(operation),
              durationMs: Math.round(seconds * 10_000) / 10,
              httpStatus: response.http.status ?? 200,
              role: caller,
              traceId: contextValue?.meta?.traceId ?? null,
            },
            codes,
          );
        },
      };
    },
  };
}

interface LiveSubscription {
  started: number;
  operation: string;
  type: string | null;
  fields: string[];
  role: string | null;
  traceId: string | null;
  events: number;
  codes: string[];
}

/**
 * The same line for operations over graphql-ws (subscriptions), written when one ends: the
 * client completed it, the socket closed, or it failed. It adds how many results it sent.
 * An operation refused before it started (parse, validation, limits) gets its line at once.
 * Keyed by the socket's context object and the operation id the client chose.
 */
export class SubscriptionObserver {
  private readonly live = new WeakMap<object, Map<string, LiveSubscription>>();

  constructor(private readonly logger: Logger | null) {}

  started(socket: object, id: string, operation: OperationDefinitionNode | null | undefined, name: string | null | undefined, ctx: Context | undefined): void {
    if (!this.logger) return;
    let byId = this.live.get(socket);
    if (!byId) this.live.set(socket, (byId = new Map()));
    byId.set(id, {
      started: performance.now(),
      operation: loggedName(name ?? operation?.name?.value),
      type: operation?.operation ?? null,
      fields: rootFields(operation ?? undefined),
      role: role(ctx),
      traceId: ctx?.meta?.traceId ?? null,
      events: 0,
      codes: [],
    });
  }

  /** A result sent, with the codes of the errors it carries (as the client sees them). */
  sent(socket: object, id: string, codes: string[]): void {
    const s = this.live.get(socket)?.get(id);
    if (!s) return;
    s.events += 1;
    s.codes.push(...codes);
  }

  failed(socket: object, id: string, codes: string[]): void {
    const s = this.live.get(socket)?.get(id);
    if (s) s.codes.push(...codes);
    else logLine(this.logger, 'graphql operation', { operation: 'anonymous', type: null, transport: 'websocket', traceId: null }, codes);
  }

  completed(socket: object, id: string): void {
    const byId = this.live.get(socket);
    const s = byId?.get(id);
    if (!s) return;
    byId!.delete(id);
    logLine(
      this.logger,
      'graphql operation',
      {
        operation: s.operation,
        type: s.type,
        fields: s.fields,
        durationMs: Math.round((performance.now() - s.started) * 10) / 10,
        transport: 'websocket',
        events: s.events,
        role: s.role,
        traceId: s.traceId,
      },
      s.codes,
    );
  }
}
