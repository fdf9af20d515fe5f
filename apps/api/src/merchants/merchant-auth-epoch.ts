import DataLoader from 'dataloader';
import type IORedis from 'ioredis';

/** How long an authentication waits for the epoch before it reads Postgres instead (ms). */
const READ_TIMEOUT_MS = 250;

/**
 * A Redis counter that every API process compares its cached merchant authentications against: any change
 * to a merchant's keys, status or policy increments it (after the change commits, before the request that
 * made it answers), and a cached authentication is used only while the counter still reads what it read
 * when the entry was loaded. So a suspension or a revoked key is refused by the very next request on every
 * process, while the hot path costs one Redis GET per event-loop turn (all authentications of a turn share
 * it, issued after they arrived).
 */
export class MerchantAuthEpoch {
  private readonly reads = new DataLoader<0, string | null>(
    async (calls) => {
      const value = await this.read();
      return calls.map(() => value);
    },
    { cache: false, batchScheduleFn: (flush) => setImmediate(flush) },
  );

  /**
   * @param redis a connection that fails fast when Redis is away (the API's producer connection).
   * @param key the counter's key; processes sharing it share invalidations (`<QUEUE_PREFIX>:merchant-auth-epoch`).
   */
  constructor(
    private readonly redis: IORedis,
    private readonly key: string,
  ) {}

  /** The current epoch, or null when Redis cannot tell (the caller must then not trust its cache). */
  current(): Promise<string | null> {
    return this.reads.load(0);
  }

  /**
   * Marks every cached authentication in every process stale.
   * @throws the Redis error: the caller's change committed, but other processes may keep their copy for
   *   the cache lifetime.
   */
  async bump(): Promise<void> {
    await this.redis.incr(this.key);
  }

  private async read(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('merchant auth epoch read timed out')), READ_TIMEOUT_MS);
      });
      return (await Promise.race([this.redis.get(this.key), timeout])) ?? '0';
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
