import type { PubSubEngine } from 'graphql-subscriptions';
import type { RequestMeta } from '../auth/actor';
import type { Viewer } from '../auth/viewer';
import type { Services } from '../services';
import type { Loaders } from './loaders';

export interface Context {
  viewer: Viewer;
  services: Services;
  loaders: Loaders;
  meta: RequestMeta;
  /** `_entities` representations this operation may ask for, all its `_entities` fields together. */
  maxRepresentations: number;
  /** Subscription topics (subscriptions only read it; the outbox relay publishes). */
  pubsub: PubSubEngine;
}
