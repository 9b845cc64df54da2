import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSub, PubSubEngine } from 'graphql-subscriptions';
import Redis, { RedisOptions } from 'ioredis';
import type { Config } from '../config/config';
import type { Logger } from '../observability/logger';

export interface EventBus {
  /** Subscription topics: Redis pub/sub across replicas, or in-process without Redis. */
  pubsub: PubSubEngine;
  /** The client the relay writes the stream with; null in-process. */
  redis: Redis | null;
  /** True when Redis is configured and answers. */
  redisReady(): Promise<boolean>;
  close(): Promise<void>;
}

export function redisOptions(addr: string, password: string | null): RedisOptions {
  const url = /^rediss?:\/\//.test(addr) ? new URL(addr) : new URL(`redis://${addr}`);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    password: password ?? (url.password || undefined),
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Reconnect forever with a capped delay: Redis coming back must need no restart.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // On disconnect, a socket Redis has not closed after this long is destroyed. ioredis waits
    // 2 s by default, on a timer that holds the process: a stop took up to 2 s longer.
    disconnectTimeout: 200,
  };
}

/**
 * How long a command on the publishing connection may wait for its answer (the service we
 * replace read Redis with a 3 s timeout). Without one, a Redis that keeps the connection open
 * but stops answering would hold a relay round, and its outbox rows, for as long as TCP
 * takes to notice, and a login's rate-limit check with it.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

/**
 * With CUSTOMER_REDIS_ADDR: two ioredis connections (pub/sub needs its own). The publishing
 * connection does not queue commands while disconnected, so a relay publishing into a dead
 * Redis fails at once and backs off, with the events safe in the outbox; one that stops
 * answering fails after REDIS_COMMAND_TIMEOUT_MS the same way.
 */
export function createEventBus(config: Config, logger: Logger): EventBus {
  if (!config.redisAddr) {
    return { pubsub: new PubSub(), redis: null, redisReady: async () => false, close: async () => undefined };
  }
  const ns = config.eventsNamespace;
  const base = redisOptions(config.redisAddr, config.redisPassword);
  const publisher = new Redis({ ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
  const subscriber = new Redis({ ...base, maxRetriesPerRequest: null });
  let lastWarn = 0;
  for (const [name, client] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    client.on('error', (err: Error) => {
      if (Date.now() - lastWarn > 10_000) {
        lastWarn = Date.now();
        logger.warn({ err: err.message, client: name }, 'redis unavailable; events wait in the outbox');
      }
    });
  }
  return {
    pubsub: namespaced(new RedisPubSub({ publisher, subscriber }), ns),
    redis: publisher,
    async redisReady() {
      if (publisher.status !== 'ready') return false;
      try {
        await Promise.race([publisher.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000))]);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Prefixes every topic with CUSTOMER_EVENTS_NAMESPACE, so several deployments (or test runs)
 * can share one Redis without hearing each other.
 */
function namespaced(engine: PubSubEngine, ns: string): PubSubEngine {
  if (!ns) return engine;
  return {
    publish: (topic: string, payload: unknown) => engine.publish(ns + topic, payload),
    subscribe: (topic: string, onMessage: (...args: unknown[]) => void, options?: object) => engine.subscribe(ns + topic, onMessage, options ?? {}),
    unsubscribe: (id: number) => engine.unsubscribe(id),
    asyncIterableIterator: <T>(topics: string | readonly string[]) =>
      engine.asyncIterableIterator<T>(typeof topics === 'string' ? ns + topics : topics.map((t) => ns + t)),
  } as unknown as PubSubEngine;
}
