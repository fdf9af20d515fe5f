import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import type { AuthenticatedMerchant } from '../merchants/merchants.service';
import { MerchantRateLimiter } from './merchant-rate-limiter';

/**
 * Per-merchant limit on `/verify` and `/settle`, after {@link MerchantAuthGuard} (which set `req.merchant`):
 * the merchant's `rate_limit_per_second`, else MERCHANT_RATE_LIMIT_PER_SECOND; 0 = unlimited (no Redis call).
 * Beyond it: 429 with `Retry-After` (seconds); the error filter gives the body the x402 shape with reason
 * `tollgate_rate_limited`.
 */
@Injectable()
export class MerchantRateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: MerchantRateLimiter,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const http = ctx.switchToHttp();
    const merchant = http.getRequest<Request & { merchant?: AuthenticatedMerchant }>().merchant;
    if (!merchant) return true;
    const verdict = await this.limiter.consume(merchant.id, merchant.rateLimitPerSecond ?? this.config.merchantRateLimitPerSecond);
    if (verdict.allowed) return true;
    http.getResponse<Response>().setHeader('retry-after', String(verdict.retryAfterSeconds));
    throw new HttpException(`more than ${merchant.rateLimitPerSecond ?? this.config.merchantRateLimitPerSecond} requests per second for this merchant`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
