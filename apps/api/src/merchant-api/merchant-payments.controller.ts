import { Controller, Get, Header, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
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
    status: listParam(z.enum(PAYMENT_STATUSES, { errorMap: () => ({ message: `must be one of ${PAYMENT_STATUSES.join(', ')}` }) })),
    payer: evmAddress.optional(),
    payTo: evmAddress.optional(),
    network: caip2Network.optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    limit: pageLimit,
    cursor: z.string().max(200).optional(),
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
  @ApiQuery({ name: 'status', required: false, description: `comma-separated or repeated: ${PAYMENT_STATUSES.join(', ')}` })
  @ApiQuery({ name: 'payer', required: false })
  @ApiQuery({ name: 'payTo', required: false })
  @ApiQuery({ name: 'network', required: false, description: 'CAIP-2, e.g. eip155:8453' })
  @ApiQuery({ name: 'since', required: false, description: 'created at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'created before (ISO-8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ description: '{data: [payment], nextCursor}' })
  list(@CurrentMerchant() merchant: AuthenticatedMerchant, @Query() query: unknown): Promise<{ data: MerchantPaymentView[]; nextCursor: string | null }> {
    return this.payments.list(merchant.id, parseInput(listQuery, query, 'query'));
  }

  @Get(':reference')
  @ApiParam({ name: 'reference', description: 'pay_… as returned by /settle' })
  @ApiOperation({ summary: 'One payment: transaction hash, log index, block, confirmations, batch and event history' })
  @ApiOkResponse({ description: 'payment detail; 404 for an unknown reference or another merchant’s payment' })
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
  @ApiParam({ name: 'reference', description: 'pay_… as returned by /settle' })
  @ApiOperation({ summary: 'Status of a payment by reference (no authentication)' })
  @ApiOkResponse({ description: '{reference, status, network, transaction (null until included)}; 429 with Retry-After beyond PUBLIC_RATE_LIMIT_PER_MINUTE per IP' })
  status(@Param('reference') reference: string): Promise<PublicPaymentStatus> {
    return this.payments.publicStatus(parseInput(referenceParam, reference, 'reference'));
  }
}
