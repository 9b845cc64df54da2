import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { ApolloServerPluginSubscriptionCallback } from '@apollo/server/plugin/subscriptionCallback';
import { getVariableValues, GraphQLError } from 'graphql';
import { DomainError } from '../errors/domain-error';

/** Below this a client could make us post to its URL many times a second (the router's default is 5 s). */
export const MIN_HEARTBEAT_MS = 1000;
/** setInterval's longest delay: Node runs a longer one every millisecond. */
const MAX_HEARTBEAT_MS = 2 ** 31 - 1;

interface CallbackExtension {
  callbackUrl?: unknown;
  callback_url?: unknown;
  heartbeatIntervalMs?: unknown;
  heartbeat_interval_ms?: unknown;
}

/**
 * Why a request for Apollo Router's HTTP callback protocol is refused, or null when it may go
 * on. Apollo's plugin posts `check` to the request's `callbackUrl`, then heartbeats, before
 * the operation is even authorized; left open, anyone could make the service post to any
 * address (inside the network too) at any rate. So the URL must lie under one of the routers'
 * callback URLs (CUSTOMER_SUBSCRIPTION_CALLBACK_URLS: same origin, path under theirs), and the
 * heartbeat be off (0) or at least MIN_HEARTBEAT_MS.
 */
export function callbackRefusal(extension: CallbackExtension, allowed: readonly URL[]): DomainError | null {
  const field = 'extensions.subscription.callbackUrl';
  if (allowed.length === 0) {
    return new DomainError('FORBIDDEN', 'Subscriptions over HTTP callbacks are not enabled on this server (CUSTOMER_SUBSCRIPTION_CALLBACK_URLS)');
  }
  const raw = extension.callbackUrl ?? extension.callback_url;
  let url: URL | null = null;
  try {
    url = typeof raw === 'string' ? new URL(raw) : null;
  } catch {
    url = null;
  }
  if (url === null) return DomainError.badInput(field, 'must be an absolute URL');
  const permitted = !url.username && !url.password && allowed.some((a) => url.origin === a.origin && isUnder(url.pathname, a.pathname));
  if (!permitted) return new DomainError('FORBIDDEN', `${field}: is not a callback URL of a configured router`);
  const heartbeat = extension.heartbeatIntervalMs ?? extension.heartbeat_interval_ms;
  const ok =
    heartbeat === undefined ||
    heartbeat === 0 ||
    (Number.isInteger(heartbeat) && (heartbeat as number) >= MIN_HEARTBEAT_MS && (heartbeat as number) <= MAX_HEARTBEAT_MS);
  if (!ok) {
    return DomainError.badInput(
      'extensions.subscription.heartbeatIntervalMs',
      `must be 0 (none) or a whole number from ${MIN_HEARTBEAT_MS} to ${MAX_HEARTBEAT_MS}`,
    );
  }
  return null;
}

/** `/callback/abc` is under `/callback` and `/callback/`; `/callbackevil` is not. */
function isUnder(path: string, base: string): boolean {
  if (base === '/' || path === base) return true;
  return path.startsWith(base.endsWith('/') ? base : `${base}/`);
}

/**
 * A subscription over HTTP without the callback extension has no way to receive events:
 * graphql-js ran its resolver as a query and failed on a null (INTERNAL_SERVER_ERROR). It is
 * refused before execution, so no resolver runs.
 */
const plainHttpSubscriptions: GraphQLRequestListener<BaseContext> = {
  async didResolveOperation({ operation }) {
    if (operation?.operation !== 'subscription') return;
    throw new GraphQLError("Subscriptions are served over WebSocket (graphql-ws, same path) or through a router's HTTP callbacks, not over plain HTTP", {
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    });
  },
};

const STATUS: Partial<Record<DomainError['code'], number>> = { FORBIDDEN: 403, BAD_USER_INPUT: 400 };

/**
 * Apollo's callback listener posts `check` (and then `complete` with graphql-js's raw errors)
 * from willSendResponse, which runs for every request: one that did not parse or validate was
 * answered 400 and still reached the router's callback URL; a query or mutation sent with the
 * extension got "Subscription field must return Async Iterable"; and a variable of the wrong
 * type, which only graphql-js's subscribe() coerced, reached the router without a code. Here a
 * request goes on to Apollo's listener only once it resolved to a subscription whose variables
 * hold; otherwise it is answered over HTTP (400, with its code) and nothing is posted.
 */
function onlyValidSubscriptions(apollo: GraphQLRequestListener<BaseContext> | void): GraphQLRequestListener<BaseContext> {
  // Set where Apollo's listener answers: reached only when every plugin's didResolveOperation
  // passed (one that throws elsewhere must not leave ours marked valid).
  let valid = false;
  return {
    async didResolveOperation({ operation, schema, request }) {
      if (operation?.operation !== 'subscription') {
        throw new GraphQLError('extensions.subscription (HTTP callbacks) is for subscription operations only', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      }
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
      if (coerced.errors) {
        const [first] = coerced.errors;
        throw new GraphQLError(first.message, { nodes: first.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
      }
    },
    responseForOperation: async (context) => {
      valid = true;
      return (await apollo?.responseForOperation?.(context)) ?? null;
    },
    willSendResponse: async (context) => {
      if (valid) await apollo?.willSendResponse?.(context);
    },
  };
}

/**
 * Apollo's `ApolloServerPluginSubscriptionCallback` behind callbackRefusal: a refused request
 * answers its error (403 or 400) and nothing is sent anywhere.
 */
export function subscriptionCallbacks(allowed: readonly URL[]): ApolloServerPlugin<BaseContext> {
  const apollo = ApolloServerPluginSubscriptionCallback();
  return {
    // Stops the heartbeats and subscriptions still running at shutdown.
    serverWillStart: apollo.serverWillStart?.bind(apollo),
    async requestDidStart(request) {
      const extension = request.request.extensions?.subscription as CallbackExtension | undefined;
      if (!extension) return plainHttpSubscriptions;
      const refusal = callbackRefusal(extension, allowed);
      if (refusal === null) return onlyValidSubscriptions(await apollo.requestDidStart?.(request));
      return {
        async didResolveOperation() {
          throw new GraphQLError(refusal.message, {
            originalError: refusal,
            extensions: { code: refusal.code, http: { status: STATUS[refusal.code] ?? 400 } },
          });
        },
      };
    },
  };
}
