import { Body, Controller, Get, Headers, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { settleFailure, SETTLEMENT_MODE_HEADER, type SettleResponse, type SupportedResponse, type VerifyResponse } from '@tollgate/protocol';
import type { SettlementMode } from '@tollgate/persistence';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiMetrics } from '../metrics/api-metrics';
import { FacilitatorService, requestedNetwork } from './facilitator.service';
import { MerchantRateLimitGuard } from './merchant-rate-limit.guard';
import { SupportedService } from './supported.service';

/** Header that overrides the merchant's settlement policy for one `/settle` call (defined in libs/protocol for clients). */
export { SETTLEMENT_MODE_HEADER };

/** The x402 facilitator API: `POST /verify`, `POST /settle`, `GET /supported`. */
@ApiTags('facilitator')
@Controller()
export class FacilitatorController {
  constructor(
    private readonly facilitator: FacilitatorService,
    private readonly supportedService: SupportedService,
    private readonly metrics: ApiMetrics,
  ) {}

  @Post('verify')
  @HttpCode(200)
  @UseGuards(MerchantAuthGuard, MerchantRateLimitGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Verify an x402 exact payment (EVM EIP-3009 or Solana) and record it as verified' })
  async verify(@Body() body: unknown, @CurrentMerchant() merchant: AuthenticatedMerchant, @Res({ passthrough: true }) res: Response): Promise<VerifyResponse> {
    const done = this.metrics.startVerify();
    const answer = await this.facilitator.verify(body, merchant);
    const b = answer.body as VerifyResponse;
    done(answer.status === 400 ? 'malformed' : b.isValid ? 'valid' : b.invalidReason === 'unexpected_verify_error' ? 'error' : 'invalid', b.isValid ? undefined : b.invalidReason);
    res.status(answer.status);
    return answer.body;
  }

  @Post('settle')
  @HttpCode(200)
  @UseGuards(MerchantAuthGuard, MerchantRateLimitGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Queue a verified payment for batch settlement (deferred) or wait for inclusion (confirmed)' })
  async settle(
    @Body() body: unknown,
    @CurrentMerchant() merchant: AuthenticatedMerchant,
    @Headers(SETTLEMENT_MODE_HEADER) modeHeader: string | undefined,
    @Req() req: Request & { id?: string | number },
    @Res({ passthrough: true }) res: Response,
  ): Promise<SettleResponse | Record<string, unknown>> {
    const done = this.metrics.startSettle();
    let mode: SettlementMode | undefined;
    if (modeHeader !== undefined) {
      if (modeHeader !== 'deferred' && modeHeader !== 'confirmed') {
        res.status(400);
        done('malformed', 'none', 'invalid_payload');
        return { ...settleFailure({ reason: 'invalid_payload', message: `${SETTLEMENT_MODE_HEADER} must be "deferred" or "confirmed"`, network: requestedNetwork(body) }), field: SETTLEMENT_MODE_HEADER };
      }
      mode = modeHeader;
    }
    const answer = await this.facilitator.settle(body, merchant, mode, req.id === undefined ? undefined : String(req.id));
    const b = answer.body as SettleResponse;
    const ext = (b.extensions?.tollgate ?? {}) as { settlementMode?: string };
    const outcome = answer.status === 400 ? 'malformed' : !b.success ? (b.errorReason === 'unexpected_settle_error' ? 'error' : 'failed') : b.transaction ? 'settled' : 'queued';
    done(outcome, ext.settlementMode ?? mode ?? 'none', b.success ? undefined : b.errorReason);
    res.status(answer.status);
    return answer.body;
  }

  @Get('supported')
  @ApiOperation({ summary: 'Payment kinds, extensions and signer addresses this facilitator serves' })
  supported(): Promise<SupportedResponse> {
    return this.supportedService.supported();
  }
}
