import type { PubSub } from 'type-graphql';

/**
 * type-graphql 2.0.0-rc.4 refuses to build a schema that has any @Subscription unless
 * `buildSchema({ pubSub })` is set, even when every subscription brings its own `subscribe`
 * (ours read the per-request `context.pubsub`: Redis or in-process). This one satisfies the
 * option and fails loudly if anything ever reaches it.
 */
export const schemaPubSub: PubSub = {
  publish(): void {
    throw new Error('schemaPubSub.publish: subscriptions publish through context.pubsub');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('schemaPubSub.subscribe: subscriptions listen on context.pubsub');
  },
};
