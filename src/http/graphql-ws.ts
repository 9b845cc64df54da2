import type http from 'node:http';
import { execute, ExecutionArgs, getOperationAST, GraphQLError, GraphQLFormattedError, GraphQLSchema, parse, subscribe } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticator';
import type { Viewer } from '../auth/viewer';
import type { Context } from '../context/context';
import { DomainError } from '../errors/domain-error';
import type { Logger } from '../observability/logger';
import type { SubscriptionObserver } from '../observability/operations';
import type { Tracing } from '../observability/tracing';
import { closeWhenExpired } from './ws-token-expiry';

/**
 * Close codes this server uses (README "Subscriptions"). graphql-ws clients give up on 4401
 * (and on 4400, 4406, 4409, 4429, 4500) but reconnect after 4403, so a token that can never
 * work gets 4401 and a token that merely ran out mid-connection gets 4403: a client whose
 * connectionParams is a function reconnects with a fresh one.
 */
export const WS_CLOSE = {
  /** connection_init with a token that is invalid, expired, or names an ended session. */
  unauthorized: CloseCode.Unauthorized,
  /** The token the socket was opened with expired while it was open. */
  tokenExpired: CloseCode.Forbidden,
} as const;

export interface GraphqlWsDeps {
  schema: GraphQLSchema;
  wsServer: WebSocketServer;
  tokens: Authenticator;
  /** The per-operation context for a viewer (loaders, services, request meta). */
  contextFor(viewer: Viewer, request: http.IncomingMessage): Context;
  /** Parse options and validation with the same limits as HTTP (src/http/query-limits.ts). */
  checks: { parse: Parameters<typeof parse>[1]; validate: (schema: GraphQLSchema, document: ReturnType<typeof parse>) => readonly GraphQLError[] };
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  tracing: Pick<Tracing, 'wsExecution'>;
  observer: SubscriptionObserver;
  logger: Logger;
}

type ConnectionParams = { authorization?: unknown; token?: unknown };

/** A GraphQLError whose code survives to the client (onError keeps codes it finds). */
function refusal(message: string, code: string, locations?: GraphQLError['locations']): GraphQLError {
  const error = new GraphQLError(message, { extensions: { code } });
  if (locations) Object.assign(error, { locations });
  return error;
}

/**
 * `authorization` (our clients, Hive Gateway), else `token`: Apollo Router's passthrough mode
 * puts the propagated Authorization header there in its connection_init (gateway/router.yaml).
 */
function authorizationOf(params: ConnectionParams | undefined): string | undefined {
  const value = params?.authorization ?? params?.token;
  // Present but not a string: a token that can never work, never an anonymous connection.
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw new DomainError('UNAUTHENTICATED', 'The authorization connection parameter must be a string');
  return typeof value === 'string' ? value : undefined;
}

/**
 * graphql-ws on the HTTP server's /graphql path. Everything a client can get wrong in one
 * operation (syntax, validation, limits, a session ended since the socket opened) answers
 * an `error` message for that operation only; graphql-ws would otherwise close the whole
 * socket with 4500 and end every other subscription on it.
 */
export function startGraphqlWs(deps: GraphqlWsDeps): { dispose(): Promise<void> } {
  const { schema, tokens, checks, formatError, observer: wsLog, logger } = deps;
  const codesOf = (errors: readonly { extensions?: { code?: unknown } }[] | undefined) =>
    (errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));

  const server = makeServer<ConnectionParams, Extra>({
    schema,
    // Tracing on: each operation in a span of its own (none when off).
    ...deps.tracing.wsExecution(execute, subscribe),
    onConnect: async (ctx) => {
      try {
        const viewer = await tokens.viewerFor(authorizationOf(ctx.connectionParams));
        closeWhenExpired(ctx.extra.socket, viewer);
        return true;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        // 4401 rather than graphql-ws's 4403 for `false`: clients do not retry it, so a bad
        // token is told at once instead of after a reconnect loop.
        ctx.extra.socket.close(WS_CLOSE.unauthorized, `Unauthorized: ${err.message}`);
        return false;
      }
    },
    onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
      let document;
      try {
        document = parse(payload.query, checks.parse);
      } catch (err) {
        if (err instanceof GraphQLError) return [refusal(err.message, 'GRAPHQL_PARSE_FAILED', err.locations)];
        throw err;
      }
      const invalid = checks.validate(schema, document);
      if (invalid.length) return invalid.map((e) => refusal(e.message, 'GRAPHQL_VALIDATION_FAILED', e.locations));
      if (!getOperationAST(document, payload.operationName)) {
        return [refusal('Unable to identify the operation: name one with operationName', 'GRAPHQL_VALIDATION_FAILED')];
      }
      // Asked again for every operation started on the socket: a session ended since the
      // connection opened refuses new subscriptions.
      let viewer: Viewer;
      try {
        viewer = await tokens.viewerFor(authorizationOf(ctx.connectionParams));
      } catch (err) {
        if (err instanceof DomainError) return [refusal(err.message, err.code)];
        throw err;
      }
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: deps.contextFor(viewer, ctx.extra.request),
      };
    },
    onOperation: (ctx, id, _payload, args) => {
      wsLog.started(ctx, id, getOperationAST(args.document, args.operationName), args.operationName, args.contextValue as Context);
    },
    // The same error mapping as over HTTP: stable codes, nothing internal.
    onNext: (ctx, id, _payload, _args, result) => {
      const formatted = result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined;
      wsLog.sent(ctx, id, codesOf(formatted?.errors));
      return formatted;
    },
    // Refusals made above carry their code; anything else goes through the error mapping.
    onError: (ctx, id, _payload, errors) => {
      const formatted = errors.map((e) =>
        typeof e.extensions?.code === 'string' && !e.originalError
          ? { message: e.message, locations: e.locations, extensions: { code: e.extensions.code } }
          : formatError(e.toJSON(), e),
      );
      wsLog.failed(ctx, id, codesOf(formatted));
      return formatted;
    },
    onComplete: (ctx, id) => wsLog.completed(ctx, id),
  });
  return attach(deps.wsServer, server, logger);
}

interface Extra {
  socket: WebSocket;
  request: http.IncomingMessage;
}

/** Keep-alive: a ping this often; a peer that has not answered by the next one is dropped. */
const KEEP_ALIVE_MS = 12_000;

/**
 * What graphql-ws's `useServer` (graphql-ws/use/ws) does, with the service's logger instead of
 * console.error: its adapter prints a stack trace on stderr for a failing socket or message
 * handler, and says nothing the operator's log pipeline would see.
 */
function attach(wsServer: WebSocketServer, server: ReturnType<typeof makeServer<ConnectionParams, Extra>>, logger: Logger): { dispose(): Promise<void> } {
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const fail = (err: unknown, what: string) => {
      logger.error({ err }, what);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    socket.once('error', (err) => fail(err, 'websocket error'));
    let pongWait: NodeJS.Timeout | null = null;
    const pinger = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (data) => {
            cb(String(data)).catch((err: unknown) => fail(err, 'graphql-ws message handling failed'));
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pinger);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      // A peer that does not answer the close within a second is cut: ws would wait 30 s for
      // it, past the shutdown deadline, before the work after it (deferred tasks, the relay).
      const cut = setTimeout(() => wsServer.clients.forEach((client) => client.terminate()), 1000);
      wsServer.removeAllListeners('connection');
      await new Promise<void>((resolve, reject) => wsServer.close((err) => (err ? reject(err) : resolve())));
      clearTimeout(cut);
    },
  };
}
