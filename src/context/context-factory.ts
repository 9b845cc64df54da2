import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { PubSubEngine } from 'graphql-subscriptions';
import type { Authenticator } from '../auth/authenticator';
import type { Viewer } from '../auth/viewer';
import type { Database } from '../db/database';
import type { IdLookups } from '../db/id-lookups';
import { DomainError } from '../errors/domain-error';
import type { Services } from '../services';
import type { Context } from './context';
import { createLoaders } from './loaders';
import { compileTrust, requestMeta } from './request-meta';

export interface ContextFactory {
  /** An HTTP request's context: its viewer from the Authorization header (401 when the token is refused). */
  forHttp(req: http.IncomingMessage): Promise<Context>;
  /** A graphql-ws operation's context: the viewer the connection authenticated. */
  forSocket(viewer: Viewer, request: http.IncomingMessage): Context;
}

/** Each request's context: its viewer, fresh loaders (per-request caches), the client's address. */
export function contextFactory(deps: {
  tokens: Authenticator;
  services: Services;
  db: Database;
  lookups: IdLookups;
  pubsub: PubSubEngine;
  trustedProxies: string;
  maxRepresentations: number;
}): ContextFactory {
  const { tokens, services, db, lookups, pubsub } = deps;
  const trust = compileTrust(deps.trustedProxies);
  const make = (viewer: Viewer, req: http.IncomingMessage): Context => ({
    viewer,
    services,
    loaders: createLoaders(db, lookups),
    meta: requestMeta(req, trust),
    maxRepresentations: deps.maxRepresentations,
    pubsub,
  });
  return {
    async forHttp(req) {
      try {
        return make(await tokens.viewerFor(req.headers.authorization), req);
      } catch (err) {
        if (err instanceof DomainError) {
          throw new GraphQLError(err.message, { originalError: err, extensions: { code: err.code, http: { status: 401 } } });
        }
        throw err;
      }
    },
    forSocket: make,
  };
}
