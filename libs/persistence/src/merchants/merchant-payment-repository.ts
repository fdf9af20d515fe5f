import type { DataSource } from 'typeorm';
import type { PaymentStatus } from '../payments/payment-status';
import { cursorTimestampSql, KeysetCursor, whereAdder } from '../sql-where';
import { newestPaymentsSql, paymentLegsSql } from '../history/payments-history';
import { referenceMatchSql } from '../payments/payment-reference';

/** Filters of a merchant's payment listing; addresses compared lower-case. */
export interface MerchantPaymentQuery {
  status?: PaymentStatus[];
  payer?: string;
  payTo?: string;
  network?: string;
  /** `created_at >= since`. */
  since?: Date;
  /** `created_at < until`. */
  until?: Date;
  /** Rows strictly older than this position. */
  cursor?: KeysetCursor | null;
  /** Rows returned at most (the caller asks for one more than a page to know whether another follows). */
  limit: number;
}

/** A payment as listed to its merchant (amounts as text, addresses lower-case). */
export interface MerchantPaymentRow {
  id: string;
  reference: string;
  status: PaymentStatus;
  settlement_mode: string | null;
  network: string;
  asset: string;
  payer: string;
  pay_to: string;
  amount: string;
  tx_hash: string | null;
  failure_reason: string | null;
  /** URL of the paid resource as the request named it (`requirements.resource`); null when it named none. */
  resource: string | null;
  created_at: Date;
  updated_at: Date;
  /** The keyset position of the row (see {@link cursorTimestampSql}). */
  cursor_ts: string;
}

/** One payment in full, with its batch's progress. */
export interface MerchantPaymentDetailRow extends MerchantPaymentRow {
  failure_message: string | null;
  valid_after: string;
  valid_before: string;
  attempts: number;
  log_index: number | null;
  block_number: string | null;
  block_hash: string | null;
  batch_id: string | null;
  batch_status: string | null;
  batch_submitted_at: Date | null;
  batch_included_at: Date | null;
  batch_confirmed_at: Date | null;
  queued_at: Date | null;
  included_at: Date | null;
  confirmed_at: Date | null;
}

/** One entry of a payment's history (`payment_events`). */
export interface PaymentEventRow {
  from_status: string | null;
  to_status: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
  created_at: Date;
}

/** One UTC day's payments of one network and asset (amounts in atomic units, as text). */
export interface DailyTotalRow {
  /** `YYYY-MM-DD`, UTC, of `created_at`. */
  day: string;
  network: string;
  asset: string;
  /** Payments accepted that day and not failed or lapsed. */
  count: number;
  amount: string;
  /** Of those, confirmed on-chain by now. */
  confirmed_count: number;
  confirmed_amount: string;
}

/** Payments as their merchant (and, minimally, the public) reads them. Every merchant query is scoped by merchant id. */
export class MerchantPaymentRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first; keyset over (created_at, id). */
  async list(merchantId: string, f: MerchantPaymentQuery): Promise<MerchantPaymentRow[]> {
    const params: unknown[] = [merchantId];
    const where = ['merchant_id = $1'];
    const add = whereAdder(params, where);
    if (f.status) add('status = ANY(?::text[])', f.status);
    if (f.payer) add('payer = ?', f.payer.toLowerCase());
    if (f.payTo) add('pay_to = ?', f.payTo.toLowerCase());
    if (f.network) add('network = ?', f.network);
    if (f.since) add('created_at >= ?', f.since);
    if (f.until) add('created_at < ?', f.until);
    if (f.cursor) add('(created_at, id) < (?::timestamptz, ?::uuid)', f.cursor.ts, f.cursor.id);
    params.push(f.limit);
    return this.dataSource.query(
      newestPaymentsSql({
        select: `id, reference, status, settlement_mode, network, asset, payer, pay_to, amount::text, tx_hash, failure_reason,
                 requirements->>'resource' AS resource, created_at, updated_at, ${cursorTimestampSql('created_at')} AS cursor_ts`,
        where,
        limit: `$${params.length}`,
      }),
      params,
    );
  }

  /** The merchant's payment of this reference with its batch, or null (another merchant's is answered as none). */
  async detail(merchantId: string, reference: string): Promise<MerchantPaymentDetailRow | null> {
    const [r]: MerchantPaymentDetailRow[] = await this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.settlement_mode, p.network, p.asset, p.payer, p.pay_to, p.amount::text, p.tx_hash,
              p.failure_reason, p.failure_message, p.valid_after::text, p.valid_before::text, p.attempts, p.log_index,
              p.block_number::text, p.block_hash, p.batch_id, p.requirements->>'resource' AS resource, p.queued_at, p.included_at, p.confirmed_at, p.created_at, p.updated_at,
              b.status AS batch_status, b.submitted_at AS batch_submitted_at, b.included_at AS batch_included_at, b.confirmed_at AS batch_confirmed_at
         FROM payments_all p LEFT JOIN settlement_batches b ON b.id = p.batch_id
        WHERE ${referenceMatchSql('p', '$1')} AND p.merchant_id = $2`,
      [reference, merchantId],
    );
    return r ?? null;
  }

  /** A payment's history, oldest first: its own events and the batch steps that list it (`tollgate_payment_events`). */
  async events(paymentId: string): Promise<PaymentEventRow[]> {
    return this.dataSource.query(`SELECT from_status, to_status, reason, detail, created_at FROM tollgate_payment_events($1) ORDER BY id`, [paymentId]);
  }

  /** What anyone holding a reference may learn, or null for an unknown reference. */
  async publicStatus(reference: string): Promise<{ status: PaymentStatus; network: string; tx_hash: string | null } | null> {
    const [r]: Array<{ status: PaymentStatus; network: string; tx_hash: string | null }> = await this.dataSource.query(
      `SELECT p.status, p.network, p.tx_hash FROM payments_all p WHERE ${referenceMatchSql('p', '$1')}`,
      [reference],
    );
    return r ?? null;
  }

  /**
   * Totals per UTC day, network and asset of the payments created in `[from, to)`, failed and lapsed ones
   * left out; index range scans on (merchant_id, created_at) of the finished payments and of the history, and
   * the few in flight. Oldest day first.
   */
  async dailyTotals(merchantId: string, from: Date, to: Date): Promise<DailyTotalRow[]> {
    const legs = paymentLegsSql({
      select: 'p.created_at, p.network, p.asset, p.amount, p.status',
      where: ['p.merchant_id = $1', 'p.created_at >= $2', 'p.created_at < $3', `p.status NOT IN ('failed', 'lapsed')`],
    });
    return this.dataSource.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, network, asset,
              count(*)::int AS count, sum(amount)::text AS amount,
              (count(*) FILTER (WHERE status = 'confirmed'))::int AS confirmed_count,
              coalesce(sum(amount) FILTER (WHERE status = 'confirmed'), 0)::text AS confirmed_amount
         FROM (${legs}) p
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [merchantId, from, to],
    );
  }
}
