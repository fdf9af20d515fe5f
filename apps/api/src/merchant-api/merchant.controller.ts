import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { MerchantSettingsService, MerchantView, PayToView, SettlementPolicyView } from './merchant-settings.service';
import { atomicAmount, parseInput, payToAddress } from './validation';

/** Body of `POST /v1/merchant/pay-to`. */
export const payToBody = z.object({ address: payToAddress }).strict();

/** Body of `PATCH /v1/merchant/settlement-policy`. */
export const policyPatch = z
  .object({
    defaultMode: z.enum(['deferred', 'confirmed']).optional(),
    confirmedThreshold: atomicAmount.nullable().optional(),
    maxUnsettledExposure: atomicAmount.nullable().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'name at least one of defaultMode, confirmedThreshold, maxUnsettledExposure' });

/** The authenticated merchant's own settings: profile, settlement policy, payTo addresses. */
@ApiTags('merchant')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant')
export class MerchantController {
  constructor(private readonly settings: MerchantSettingsService) {}

  @Get()
  @ApiOperation({ summary: 'Read the merchant and its settlement policy' })
  get(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<MerchantView> {
    return this.settings.get(merchant.id);
  }

  @Patch('settlement-policy')
  @ApiOperation({
    summary: 'Change the settlement policy',
    description:
      'Default mode, amount threshold for confirmed mode, and maximum unsettled exposure (a verify that would take the ' +
      "merchant's accepted-but-unsettled total on one network and asset above it is refused with tollgate_exposure_exceeded).",
  })
  updatePolicy(@CurrentMerchant() merchant: AuthenticatedMerchant, @Body() body: unknown): Promise<SettlementPolicyView> {
    return this.settings.updatePolicy(merchant.id, parseInput(policyPatch, body));
  }

  @Get('pay-to')
  @ApiOperation({ summary: 'List the payTo addresses the merchant owns' })
  async payTo(@CurrentMerchant() merchant: AuthenticatedMerchant): Promise<{ data: PayToView[] }> {
    return { data: await this.settings.listPayTo(merchant.id) };
  }

  @Post('pay-to')
  @ApiOperation({ summary: 'Add a payTo address (EVM 0x…, or Solana base58), or bring back a retired one' })
  async addPayTo(@CurrentMerchant() merchant: AuthenticatedMerchant, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<PayToView> {
    const { created, ...view } = await this.settings.addPayTo(merchant.id, parseInput(payToBody, body).address);
    res.status(created ? 201 : 200);
    return view;
  }

  @Delete('pay-to/:address')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retire a payTo address: new verifies to it are refused; payments already queued still settle; history kept' })
  retirePayTo(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('address') address: string): Promise<PayToView> {
    return this.settings.retirePayTo(merchant.id, parseInput(payToAddress, address, 'address'));
  }
}
