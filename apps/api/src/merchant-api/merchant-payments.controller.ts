import { Controller, Get, Header, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { z } from 'zod';
import { PAYMENT_STATUSES } from '@tollgate/persistence';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { MerchantPaymentDetail, MerchantPaymentsService, MerchantPaymentView, PublicPaymentStatus } from './merchant-payments.service';
import { caip2Network, evmAddress, isoTime, listParam, pageLimit, parseInput, referenceParam } from './validation';

/** The filters of a payment listing (the CSV export takes the same, without limit and cursor). */
export const listQuery = z
  .object({
    status: listParam(z.enum(PAYMENT_STATUSES, { errorMap: () => ({ message: `must be one of ${PAYMENT_STATUSES.join(', ')}` }) })).describe('comma-separated or repeated'),
    payer: evmAddress.optional(),
    payTo: evmAddress.optional(),
    network: caip2Network.optional().describe('CAIP-2, e.g. eip155:8453'),
    since: isoTime.optional().describe('created at or after'),
    until: isoTime.optional().describe('created before'),
    limit: pageLimit,
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
  })
  .strict();

/** The authenticated merchant's payments: filtered lists and full detail by reference. */
@ApiTags('merchant payments')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant/payments')
export class MerchantPaymentsController {
  constructor(private readonly payments: MerchantPaymentsService) {}

  @Get()
  @ApiOperation({ summary: 'List payments, newest first, with filters and cursor pagination' })
  list(@CurrentMerchant() merchant: AuthenticatedMerchant, @Query() query: unknown): Promise<{ data: MerchantPaymentView[]; nextCursor: string | null }> {
    return this.payments.list(merchant.id, parseInput(listQuery, query, 'query'));
  }

  @Get(':reference')
  @ApiOperation({ summary: 'One payment: transaction hash, log index, block, confirmations, batch and event history' })
  detail(@CurrentMerchant() merchant: AuthenticatedMerchant, @Param('reference') reference: string): Promise<MerchantPaymentDetail> {
    return this.payments.detail(merchant.id, parseInput(referenceParam, reference, 'reference'));
  }
}

/**
 * Public status lookup for whoever holds a payment reference (typically the paying agent, from the
 * `/settle` answer). It reveals only what the payer already knows: status, network and — once included —
 * the transaction hash. References are 128-bit random, so they cannot be enumerated.
 */
@ApiTags('payments')
@Controller('v1/payments')
@UseGuards(ThrottlerGuard)
export class PublicPaymentsController {
  constructor(private readonly payments: MerchantPaymentsService) {}

  @Get(':reference/status')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Status of a payment by reference (no authentication)' })
  status(@Param('reference') reference: string): Promise<PublicPaymentStatus> {
    return this.payments.publicStatus(parseInput(referenceParam, reference, 'reference'));
  }
}
