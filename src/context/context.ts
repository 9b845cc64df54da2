import type { PubSubEngine } from 'graphql-subscriptions';
import type { Viewer } from '../auth/viewer';
import type { Services } from '../services';
import type { Loaders } from './loaders';

/** Facts about the request that audit rows and consent records keep. */
export interface RequestMeta {
  /** Client IP; X-Forwarded-For is honoured only from CUSTOMER_TRUSTED_PROXIES. */
  ip: string | null;
  userAgent: string | null;
  /** From X-Client-Source (WEBSITE, MOBILE_APP, ...), for consent records. */
  clientSource: string | null;
  traceId: string | null;
}

export interface Context {
  viewer: Viewer;
  services: Services;
  loaders: Loaders;
  meta: RequestMeta;
  /** Subscription topics (subscriptions only read it; the outbox relay publishes). */
  pubsub: PubSubEngine;
}
