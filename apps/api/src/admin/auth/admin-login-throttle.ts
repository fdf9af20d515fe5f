import { Inject, Injectable } from '@nestjs/common';
import type IORedis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { REDIS } from '../../core.module';

/** An attempt let through: call {@link AdminLoginThrottle.succeeded} if the credentials were right. */
export interface LoginPass {
  allowed: true;
}

/** An attempt refused before any password check. */
export interface LoginRefusal {
  allowed: false;
  /** Whole seconds until an attempt from this address (for this username) may be tried again: `Retry-After`. */
  retryAfterSeconds: number;
  /** Which limit: the client address as a whole, or the address for this username. */
  scope: 'address' | 'address-username';
}

/**
 * Console sign-in throttle (rate-limiter-flexible on Redis, so every API process shares the counts). Two
 * fixed windows of ADMIN_LOGIN_WINDOW_SECONDS: attempts per client address (a password spray across many
 * usernames) and per (client address, username) (guessing one operator's password). Every attempt takes a
 * point up front — atomically, so parallel attempts cannot slip past — and a successful one gives its points
 * back (the pair's count is cleared), so only failures accumulate. There is deliberately no limit per username
 * alone: an attacker who knows a username must not be able to lock its operator out from another address.
 * While Redis does not answer, each process counts in its own memory (the limiter's insurance).
 */
@Injectable()
export class AdminLoginThrottle {
  private readonly perAddress: RateLimiterAbstract;
  private readonly perAddressAndUser: RateLimiterAbstract;

  constructor(@Inject(TOLLGATE_CONFIG) config: TollgateConfig, @Inject(REDIS) redis: IORedis) {
    const { loginMaxFailuresPerAddress, loginMaxFailuresPerUser, loginWindowSeconds } = config.admin;
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.queuePrefix}:admin-login:${name}`,
        points,
        duration: loginWindowSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `admin-login:${name}`, points, duration: loginWindowSeconds }),
      });
    this.perAddress = limiter('address', loginMaxFailuresPerAddress);
    this.perAddressAndUser = limiter('address-username', loginMaxFailuresPerUser);
  }

  /**
   * Takes one attempt of `address` for `username` (already normalised: trimmed, lower-case).
   * @throws only on a programming error; store failures fall back to the in-memory insurance limiter.
   */
  async attempt(address: string, username: string): Promise<LoginPass | LoginRefusal> {
    const refused = await this.take(this.perAddress, address);
    if (refused !== undefined) return { allowed: false, retryAfterSeconds: refused, scope: 'address' };
    const pairRefused = await this.take(this.perAddressAndUser, pairKey(address, username));
    if (pairRefused !== undefined) return { allowed: false, retryAfterSeconds: pairRefused, scope: 'address-username' };
    return { allowed: true };
  }

  /** The credentials were right: the attempt does not count against the address, and the pair starts afresh. */
  async succeeded(address: string, username: string): Promise<void> {
    await Promise.all([this.perAddress.reward(address, 1), this.perAddressAndUser.delete(pairKey(address, username))]).catch(() => undefined);
  }

  /** @returns undefined when the point was taken, else the seconds to wait. */
  private async take(limiter: RateLimiterAbstract, key: string): Promise<number | undefined> {
    try {
      await limiter.consume(key, 1);
      return undefined;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw e;
    }
  }
}

function pairKey(address: string, username: string): string {
  return `${address}|${username}`;
}
