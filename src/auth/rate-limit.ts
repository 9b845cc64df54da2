import type Redis from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../errors/domain-error';

/**
 * Attempts per client IP at the account doors (login, registration, token use), shared by
 * every replica through Redis, in-process without it. Redis down: the in-memory limiter
 * stands in (per replica), so an outage never lifts the limit altogether.
 */
export class IpRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  /**
   * `from`: how the error names what is limited ("this address", "this account"); `keyOf`:
   * what a key counts under (clientNetwork for addresses).
   */
  constructor(
    redis: Redis | null,
    points: number,
    windowSeconds: number,
    keyPrefix: string,
    private readonly from = 'this address',
    private readonly keyOf: (key: string) => string = clientNetwork,
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
      await this.limiter.consume(key === null ? 'unknown' : this.keyOf(key));
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
    await this.limiter.reward(ip === null ? 'unknown' : this.keyOf(ip), 1).catch(() => undefined);
  }
}

/**
 * What one client's attempts count under: an IPv4 address as it is, an IPv6 address by its
 * /64, the smallest network a single subscriber is handed (counted per address, one client
 * had 2^64 fresh allowances). IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function clientNetwork(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}
