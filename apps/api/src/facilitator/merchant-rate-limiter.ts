import type IORedis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** Longest wait for Redis before this process counts alone (ms): a slow Redis must not slow payments. */
const REDIS_WAIT_MS = 100;
/**
 * Every merchant shares one limiter whose own ceiling is never reached; each merchant's limit is compared
 * with the window's count here, so a limit changed by the operator applies at once without a limiter per value.
 */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** The verdict on one request: allowed, or refused with the seconds until the window ends. */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Per-merchant request budget per second, counted in Redis so every API process draws from one budget
 * (one round trip: rate-limiter-flexible's atomic increment with expiry on a 1-second fixed window).
 * When Redis errors, is not connected or takes over 100 ms, this process counts alone in memory
 * (the insurance limiter): the limit then holds per process — never a refusal because Redis is down.
 */
export class MerchantRateLimiter {
  private readonly memory = new RateLimiterMemory({ points: UNBOUNDED, duration: 1 });
  private readonly redis: RateLimiterRedis;

  constructor(client: IORedis, keyPrefix: string) {
    this.redis = new RateLimiterRedis({
      storeClient: client,
      keyPrefix,
      points: UNBOUNDED,
      duration: 1,
      rejectIfRedisNotReady: true,
      insuranceLimiter: this.memory,
    });
  }

  /**
   * Counts one request of `merchantId` against `perSecond` (0 = unlimited: nothing is counted).
   * @throws never; every store failure falls back to the in-memory count.
   */
  async consume(merchantId: string, perSecond: number): Promise<RateVerdict> {
    if (perSecond <= 0) return { allowed: true };
    const res = await this.count(merchantId);
    if (res.consumedPoints <= perSecond) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
  }

  private async count(key: string): Promise<RateLimiterRes> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.redis.consume(key),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis too slow')), REDIS_WAIT_MS);
        }),
      ]);
    } catch {
      return this.memory.consume(key);
    } finally {
      clearTimeout(timer);
    }
  }
}
