import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentMerchant, MerchantAuthGuard } from '../merchants/merchant-auth.guard';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { DailyTotalView, MerchantPaymentExportsService } from './merchant-payment-exports.service';
import { listQuery } from './merchant-payments.controller';
import { isoTime, parseInput } from './validation';

/** Query of `GET /v1/merchant/payments.csv`. */
export const csvQuery = listQuery.omit({ limit: true, cursor: true });
/** Query of `GET /v1/merchant/payments/daily-totals`. */
export const totalsQuery = z.object({ from: isoTime.describe('inclusive'), to: isoTime.describe('exclusive') }).strict();

/**
 * Bulk reads of the merchant's payments. Registered before {@link MerchantPaymentsController} so that
 * `payments/daily-totals` is not taken for a payment reference.
 */
@ApiTags('merchant payments')
@ApiBearerAuth()
@UseGuards(MerchantAuthGuard)
@Controller('v1/merchant')
export class MerchantPaymentExportsController {
  constructor(private readonly exports: MerchantPaymentExportsService) {}

  @Get('payments.csv')
  @ApiOperation({ summary: 'Every payment matching the listing filters, newest first, as CSV (streamed)' })
  async csv(@CurrentMerchant() merchant: AuthenticatedMerchant, @Query() query: unknown, @Res() res: Response): Promise<void> {
    const filters = parseInput(csvQuery, query, 'query');
    const lines = this.exports.csv(merchant.id, filters);
    // Read the first page before committing to a 200, so a database error still answers as an error.
    const first = await lines.next();
    res.status(200).set({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="payments.csv"', 'cache-control': 'no-store' });
    try {
      for (let chunk = first; !chunk.done; chunk = await lines.next()) {
        if (!res.write(chunk.value)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
        if (res.destroyed) return;
      }
      res.end();
    } catch {
      // Headers are gone: a cut-off body (no final CRLF line) is the only signal left to the client.
      res.destroy();
    }
  }

  @Get('payments/daily-totals')
  @ApiOperation({ summary: 'Totals per UTC day, network and asset of payments created in [from, to) (at most 366 days)' })
  async dailyTotals(@CurrentMerchant() merchant: AuthenticatedMerchant, @Query() query: unknown): Promise<{ data: DailyTotalView[] }> {
    const q = parseInput(totalsQuery, query, 'query');
    return { data: await this.exports.dailyTotals(merchant.id, q.from, q.to) };
  }
}
