import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, OperationDefinitionNode } from 'graphql';
import type { Context } from '../context/context';

/** Root fields whose answer is the same for every caller: the schema itself. */
const PUBLIC_ROOT_FIELDS = new Set(['_service', '__schema', '__type', '__typename']);

function onlyPublicFields(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && PUBLIC_ROOT_FIELDS.has(s.name.value));
}

/**
 * `Cache-Control` for Apollo Router's entity and response caches (and any HTTP cache),
 * decided once per operation instead of per field (Apollo's cache-control plugin wraps every
 * resolver, which the hot path cannot afford):
 *
 * - a query without errors: `private, max-age=N`. Every type here is a customer's personal
 *   data or visible by role only, so a shared cache must never keep it; a router keeps it per
 *   user when its `private_id` is configured. `Vary: authorization` for browser caches.
 * - a query asking only for the schema (`_service`, introspection): `public, max-age=N`.
 * - mutations, subscriptions, any response with an error, N = 0: `no-store`.
 *
 * Requests that never reach an operation (bad body, bad token) are `no-store` too
 * (graphql-handler.ts sets it first; this plugin overrides it).
 */
export function cacheHints(maxAgeSeconds: number): ApolloServerPlugin<Context> {
  const privateHint = `private, max-age=${maxAgeSeconds}`;
  const publicHint = `public, max-age=${maxAgeSeconds}`;
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation, errors }) {
          const headers = response.http.headers;
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          if (maxAgeSeconds === 0 || failed || operation?.operation !== 'query') {
            headers.set('cache-control', 'no-store');
          } else if (onlyPublicFields(operation)) {
            headers.set('cache-control', publicHint);
          } else {
            headers.set('cache-control', privateHint);
            const vary = headers.get('vary');
            if (!vary) headers.set('vary', 'authorization');
            else if (!/\bauthorization\b/i.test(vary)) headers.set('vary', `${vary}, authorization`);
          }
        },
      };
    },
  };
}
