import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import { viewerFromAuthorization } from './auth/jwt';
import type { Config } from './config/config';
import type { Context } from './context/context';
import { createLoaders } from './context/loaders';
import { requestMeta } from './context/request-meta';
import type { Database } from './db/database';
import { DomainError } from './errors/domain-error';
import { createFormatError } from './errors/format-error';
import { depthLimit } from './http/depth-limit';
import { healthRoutes } from './http/health';
import type { Logger } from './observability/logger';
import { buildCustomerSchema } from './schema';
import { createServices } from './services';

export interface App {
  httpServer: http.Server;
  /** Listens and resolves with the bound port (pass 0 for any free port). */
  listen(port: number): Promise<number>;
  close(): Promise<void>;
}

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

function trustProxySetting(value: string): boolean | string {
  if (['false', 'none', ''].includes(value.toLowerCase())) return false;
  if (value.toLowerCase() === 'true') return true;
  return value;
}

/** Builds the whole service from its parts, so tests can start one in-process. */
export async function createApp(config: Config, db: Database, logger: Logger): Promise<App> {
  const { schema } = buildCustomerSchema();
  const services = createServices(db);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.trustedProxies));
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<Context>({
    schema,
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit(config.maxQueryDepth)],
    // Inline (ftv1) traces are for Apollo Studio, which we do not use; OpenTelemetry comes later.
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled(), unavailableStatus],
  });
  await apollo.start();

  app.use(healthRoutes(db));
  app.use(
    '/graphql',
    express.json({ limit: '256kb' }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<Context> => {
        try {
          return {
            viewer: viewerFromAuthorization(req.headers.authorization, config.jwtSecret),
            services,
            loaders: createLoaders(db),
            meta: requestMeta(req),
          };
        } catch (err) {
          if (err instanceof DomainError) {
            throw new GraphQLError(err.message, { originalError: err, extensions: { code: err.code, http: { status: 401 } } });
          }
          throw err;
        }
      },
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  return {
    httpServer,
    listen: (port) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => {
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: async () => {
      await apollo.stop();
    },
  };
}
