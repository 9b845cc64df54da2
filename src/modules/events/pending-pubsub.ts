import type { PubSub } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';

/**
 * type-graphql 2.0.0-rc.4 refuses to build a schema that has any @Subscription unless
 * `buildSchema({ pubSub })` is set, even when every subscription brings its own
 * `subscribe`. Until the events milestone supplies the real (Redis) pubSub, pass this
 * one: it is never reached by the stub subscriptions and fails loudly if anything uses it.
 */
export const pendingPubSub: PubSub = {
  publish(): void {
    throw DomainError.notImplemented('pubSub.publish');
  },
  subscribe(): AsyncIterable<unknown> {
    throw DomainError.notImplemented('pubSub.subscribe');
  },
};
