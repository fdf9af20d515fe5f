import { CanActivate, createParamDecorator, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyUsage } from './api-key-usage';
import { AuthenticatedMerchant, MerchantsService } from './merchants.service';

type MerchantRequest = Request & { merchant?: AuthenticatedMerchant };

/** Requires `Authorization: Bearer <merchant api key>`; 401 otherwise. */
@Injectable()
export class MerchantAuthGuard implements CanActivate {
  constructor(
    private readonly merchants: MerchantsService,
    private readonly usage: ApiKeyUsage,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<MerchantRequest>();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedException('missing Authorization: Bearer <api key>');
    const merchant = await this.merchants.authenticate(m[1]);
    if (!merchant) throw new UnauthorizedException('invalid or revoked API key');
    this.usage.note(merchant.keyId);
    req.merchant = merchant;
    return true;
  }
}

/** The merchant the request was authenticated as (set by {@link MerchantAuthGuard}). */
export const CurrentMerchant = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthenticatedMerchant => {
  const merchant = ctx.switchToHttp().getRequest<MerchantRequest>().merchant;
  if (!merchant) throw new UnauthorizedException();
  return merchant;
});
