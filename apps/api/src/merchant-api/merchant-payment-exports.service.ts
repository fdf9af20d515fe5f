import { BadRequestException, Injectable } from '@nestjs/common';
import { MerchantPaymentRepository } from '@tollgate/persistence';
import { MerchantPaymentsService, MerchantPaymentView, PaymentFilters } from './merchant-payments.service';
import { displayAddress } from '@tollgate/evm';

/** Rows read per page while exporting: each page is one keyset query, written out before the next is read. */
const EXPORT_PAGE = 1000;
/** Longest daily-totals range: a year and a day, so a calendar year always fits. */
const MAX_TOTALS_DAYS = 366;

/** The columns of the CSV export, in order (the fields of a listed payment; `resource` last, added later). */
export const CSV_COLUMNS: ReadonlyArray<keyof MerchantPaymentView> = [
  'reference', 'status', 'settlementMode', 'network', 'asset', 'payer', 'payTo', 'amount', 'amountDecimal', 'transaction', 'failureReason', 'createdAt', 'updatedAt',
  'resource',
];

/** One day's totals of one network and asset; amounts in atomic units as decimal strings. */
export interface DailyTotalView {
  /** UTC date, `YYYY-MM-DD`. */
  day: string;
  network: string;
  asset: string;
  /** Payments created that day and not failed or lapsed. */
  count: number;
  amount: string;
  confirmedCount: number;
  confirmedAmount: string;
}

/** Bulk reads of a merchant's payments: the CSV export and daily totals per asset. */
@Injectable()
export class MerchantPaymentExportsService {
  constructor(
    private readonly repo: MerchantPaymentRepository,
    private readonly payments: MerchantPaymentsService,
  ) {}

  /**
   * The merchant's payments matching `f` (limit and cursor ignored), newest first, as CSV lines (header first,
   * CRLF-terminated per RFC 4180), read page by page so memory stays bounded whatever the history's size.
   */
  async *csv(merchantId: string, f: Omit<PaymentFilters, 'limit' | 'cursor'>): AsyncGenerator<string> {
    yield `${CSV_COLUMNS.join(',')}\r\n`;
    let cursor: { ts: string; id: string } | null = null;
    for (;;) {
      const rows = await this.repo.list(merchantId, { ...f, cursor, limit: EXPORT_PAGE });
      if (rows.length === 0) return;
      yield rows.map((r) => `${CSV_COLUMNS.map((c) => csvCell(this.payments.view(r)[c])).join(',')}\r\n`).join('');
      if (rows.length < EXPORT_PAGE) return;
      const last = rows[rows.length - 1];
      cursor = { ts: last.cursor_ts, id: last.id };
    }
  }

  /** @throws BadRequestException naming `to` when `to` is not after `from` or the range exceeds 366 days. */
  async dailyTotals(merchantId: string, from: Date, to: Date): Promise<DailyTotalView[]> {
    if (to <= from) throw new BadRequestException({ message: 'to: must be after from', field: 'to' });
    if (to.getTime() - from.getTime() > MAX_TOTALS_DAYS * 86_400_000) {
      throw new BadRequestException({ message: `to: the range may span at most ${MAX_TOTALS_DAYS} days`, field: 'to' });
    }
    const rows = await this.repo.dailyTotals(merchantId, from, to);
    return rows.map((r) => ({
      day: r.day,
      network: r.network,
      asset: displayAddress(r.asset),
      count: r.count,
      amount: r.amount,
      confirmedCount: r.confirmed_count,
      confirmedAmount: r.confirmed_amount,
    }));
  }
}

/** RFC 4180 quoting; a leading formula character is prefixed with `'` so spreadsheets do not evaluate it. */
function csvCell(v: string | null): string {
  if (v === null) return '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
