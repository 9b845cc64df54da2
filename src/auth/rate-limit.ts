import type Redis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../errors/domain-error';

/**
 * Attempts per client IP at the account doors (login, registration, token use), shared by
 * every replica through Redis, in-process without it. Redis down: the in-memory limiter
 * stands in (per replica), so an outage never lifts the limit altogether.
 */
export class IpRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  /** `from`: how the error names what is limited ("this address", "this account"). */
  constructor(
    redis: Redis | null,
    points: number,
    windowSeconds: number,
    keyPrefix: string,
    private readonly from = 'this address',
  ) {
    const memory = new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix });
    this.limiter = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          points,
          duration: windowSeconds,
          keyPrefix,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
          // A key refused once is refused from memory until its window ends: a flood of
          // refused attempts costs no Redis round trip each. (Only once refused: a refund
          // before that still counts.)
          inMemoryBlockOnConsumed: points + 1,
        })
      : memory;
  }

  /** Takes one attempt, or answers RATE_LIMITED with the seconds until the next is allowed. */
  async consume(key: string | null): Promise<void> {
    try {
      await this.limiter.consume(key ?? 'unknown');
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new DomainError('RATE_LIMITED', `Too many attempts from ${this.from}; try again in ${retryAfterSeconds} s`, undefined, { retryAfterSeconds });
      }
      throw res;
    }
  }

  /** Gives an attempt back: a successful sign-in does not count against the address. */
  async refund(ip: string | null): Promise<void> {
    await this.limiter.reward(ip ?? 'unknown', 1).catch(() => undefined);
  }
}
