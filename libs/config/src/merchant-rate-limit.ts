import { z } from 'zod';

/**
 * `MERCHANT_RATE_LIMIT_PER_SECOND`: `/verify` + `/settle` requests one merchant may make per second, summed
 * over every API process (shared through Redis). A merchant's own `rate_limit_per_second` overrides it;
 * 0 = unlimited (the default, so an upgrade refuses nothing it accepted before).
 */
export const merchantRateLimitEnv = {
  MERCHANT_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000).default(0),
};
