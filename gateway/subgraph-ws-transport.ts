import type { ExecutionRequest, ExecutionResult } from '@graphql-tools/utils';
import { GraphQLError, print, type GraphQLFormattedError } from 'graphql';
import { CloseCode, createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * Hive Gateway's transport for subscriptions to the customer subgraph over graphql-ws, used in
 * place of `@graphql-mesh/transport-ws` for how a refused token ends.
 *
 * The stock transport builds a graphql-ws client with its default retry policy. graphql-ws
 * retries every close code it does not know to be fatal, 4403 (Forbidden) included, five times
 * with a randomised backoff, so a bad or expired token meant about 40 s of silence; and the
 * close event it rejects with (at once for 4401, which the subgraph now uses) is not an Error:
 * the client saw an error with no message and no code. Here each subscription gets a socket of its own (like Apollo Router's passthrough
 * mode), is never retried, and however the subgraph ends it, the client gets one GraphQL error
 * with a code: 4401/4403 become `UNAUTHENTICATED`, any other close or a subgraph that cannot be
 * reached `SERVICE_UNAVAILABLE`. A dashboard reconnects on its own terms (with a fresh token).
 *
 * The caller's token goes to the subgraph in `connectionParams.authorization`, taken from the
 * client's own connectionParams (a graphql-ws client of the gateway) or its `authorization`
 * header (an HTTP subscription: SSE, multipart).
 */

/** How long the subgraph may take to acknowledge the connection (it checks the token first). */
const ACK_TIMEOUT_MS = 2000;

/** Close codes of a refused token: 4401 at connection_init (4403 from older subgraphs), 4403 when it expires on an open socket. */
const AUTH_CLOSE_CODES: readonly number[] = [CloseCode.Unauthorized, CloseCode.Forbidden];

interface GatewayRequestContext {
  connectionParams?: Record<string, unknown>;
  request?: { headers: { get(name: string): string | null } };
}

/** The caller's `Bearer ...` value: the gateway client's connectionParams first, then its request's header. */
export function callerAuthorization(context: unknown): string | undefined {
  const ctx = (context ?? {}) as GatewayRequestContext;
  const params = ctx.connectionParams ?? {};
  for (const key of ['authorization', 'Authorization']) {
    const value = params[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return ctx.request?.headers.get('authorization') || undefined;
}

function isCloseEvent(value: unknown): value is { code: number; reason?: string } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number' && 'reason' in value;
}

/** One GraphQL error, with a code, for whatever ended the subgraph's side of a subscription. */
export function subscriptionEndError(err: unknown): GraphQLError {
  if (isCloseEvent(err)) {
    const reason = err.reason ? `: ${err.reason}` : '';
    if (AUTH_CLOSE_CODES.includes(err.code)) {
      return new GraphQLError(`The customer subgraph refused the token (${err.code}${reason}); sign in again`, {
        extensions: { code: 'UNAUTHENTICATED', closeCode: err.code },
      });
    }
    return new GraphQLError(`The customer subgraph closed the subscription (${err.code}${reason})`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', closeCode: err.code },
    });
  }
  const message = err instanceof Error ? err.message : 'connection failed';
  return new GraphQLError(`The customer subgraph cannot be reached for subscriptions (${message})`, { extensions: { code: 'SERVICE_UNAVAILABLE' } });
}

/** graphql-ws rejects with the errors of an `error` message as they came (formatted, with their codes). */
function isFormattedErrors(err: unknown): err is GraphQLFormattedError[] {
  return Array.isArray(err) && err.every((e) => typeof e?.message === 'string');
}

type Step = IteratorResult<ExecutionResult, undefined>;
const DONE: Step = { done: true, value: undefined };

/**
 * One subscription on a socket of its own. A hand-written iterator rather than an async
 * generator: the gateway calls `return()` when its client unsubscribes, and a generator
 * waiting for the next event would only see that call once another event came, keeping the
 * subgraph socket (and subscription) open until then, or for good on a quiet feed.
 */
function subscribeOnce(url: string, request: ExecutionRequest): AsyncIterableIterator<ExecutionResult> {
  const authorization = callerAuthorization(request.context);
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionAckWaitTimeout: ACK_TIMEOUT_MS,
    connectionParams: authorization ? { authorization } : {},
  });
  const results = client.iterate({ query: print(request.document), variables: request.variables, operationName: request.operationName });
  let finished = false;
  let stopped!: (step: Step) => void;
  const stop = new Promise<Step>((resolve) => (stopped = resolve));
  const finish = async (): Promise<Step> => {
    if (!finished) {
      finished = true;
      stopped(DONE);
      await results.return?.(undefined);
      await client.dispose();
    }
    return DONE;
  };
  // The gateway may also end the operation by aborting its signal.
  request.signal?.addEventListener('abort', () => void finish(), { once: true });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<Step> {
      if (finished) return DONE;
      try {
        const step = await Promise.race([results.next(), stop]);
        if (step.done) return finish();
        return { done: false, value: step.value as ExecutionResult };
      } catch (err) {
        await finish();
        // The last result: the subgraph's own errors, or one error with a code for how it ended.
        return { done: false, value: isFormattedErrors(err) ? ({ errors: err } as unknown as ExecutionResult) : { errors: [subscriptionEndError(err)] } };
      }
    },
    return: finish,
  };
}

/**
 * The transport, registered as kind `ws` (Hive Gateway's `transports` option). Only
 * subscriptions come here: the customer subgraph's transport entry is HTTP, with
 * `options.subscriptions.kind: 'ws'`.
 */
export const subgraphWsTransport = {
  getSubgraphExecutor({ transportEntry }: { transportEntry: { location?: string } }) {
    if (!transportEntry.location) throw new Error('subgraph ws transport: the transport entry has no location');
    const url = transportEntry.location.replace(/^http/, 'ws');
    return (request: ExecutionRequest) => subscribeOnce(url, request);
  },
};
