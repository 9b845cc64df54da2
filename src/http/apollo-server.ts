import type http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Config } from '../config/config';
import type { Context } from '../context/context';
import type { DomainError } from '../errors/domain-error';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { operationObserver } from '../observability/operations';
import type { Tracing } from '../observability/tracing';
import { cacheHints } from './cache-hints';
import { jitGateway } from './jit-executor';
import type { QueryProtection } from './query-limits';
import { subscriptionCallbacks } from './subscription-callbacks';

/** When every error of a response is SERVICE_UNAVAILABLE, say so in the HTTP status too. */
const unavailableStatus: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, errors }) {
        if (errors?.length && errors.every((e) => (e.originalError as DomainError | undefined)?.code === 'SERVICE_UNAVAILABLE')) {
          response.http.status = 503;
        }
      },
    };
  },
};

/** The Apollo Server that answers GraphQL over HTTP (queries, mutations, router callbacks), started. */
export async function startApolloServer(deps: {
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  httpServer: http.Server;
  protection: QueryProtection;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  metrics: Metrics | null;
  tracing: Tracing;
}): Promise<ApolloServer<Context>> {
  const { config, logger, protection } = deps;
  const apollo = new ApolloServer<Context>({
    // Compiled operations (CUSTOMER_JIT_ENABLED, on by default): README, Performance.
    ...(config.jitEnabled ? { gateway: jitGateway(deps.schema) } : { schema: deps.schema }),
    // Apollo's own warnings (a failing plugin hook, ...) through the service's logger, not console.
    logger,
    formatError: deps.formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown (relay, pools, deadline); Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
    // Depth, aliases, cost, directives, tokens, top-level fields: src/http/query-limits.ts.
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    // One operation per request, so the per-operation limits are per request too.
    allowBatchedHttpRequests: false,
    introspection: !config.production,
    plugins: [
      ...protection.plugins,
      // Without introspection the landing page has nothing to show.
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      ApolloServerPluginDrainHttpServer({ httpServer: deps.httpServer }),
      // Inline (ftv1) traces are for Apollo Studio, which we do not use. The cache-control
      // plugin wraps every field resolver; cacheHints below decides per operation instead.
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      // Apollo Router's HTTP callback protocol for subscriptions, beside graphql-ws: only to
      // the routers' callback URLs (CUSTOMER_SUBSCRIPTION_CALLBACK_URLS), off without them.
      subscriptionCallbacks(config.subscriptionCallbackUrls),
      unavailableStatus,
      // Cache-Control for the router's caches; then one log line and the metrics per operation.
      cacheHints(config.cacheMaxAgeSeconds),
      operationObserver(config.logOperations ? logger : null, deps.metrics),
      // Tracing on: names the request's span after its operation and records its errors.
      ...deps.tracing.plugins,
    ],
  });
  await apollo.start();
  return apollo;
}
