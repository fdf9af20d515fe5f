import type { DataSource } from 'typeorm';
import { PAYMENT_STATUSES } from '../payments/payment-status';
import { UUID_TEXT, whereAdder, whereClause } from './console-query';
import { newestPaymentsSql } from '../history/payments-history';
import { referenceMatchSql } from '../payments/payment-reference';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Filters of the console's payments list (all optional; combined with AND). */
export interface ConsolePaymentFilter {
  status?: string;
  /** Merchant id, or part of its name (case-insensitive). */
  merchant?: string;
  payer?: string;
  payTo?: string;
  network?: string;
  reason?: string;
  /** Reference (`pay_…`), payment id, nonce, transaction hash or payer/payTo address. */
  q?: string;
  from?: Date;
  to?: Date;
}

/** Row of the payments list (amount in atomic units, decimal string). */
export interface ConsolePaymentRow {
  id: string;
  reference: string;
  status: string;
  merchant_id: string;
  merchant_name: string;
  network: string;
  asset: string;
  payer: string;
  pay_to: string;
  amount: string;
  failure_reason: string | null;
  failure_message: string | null;
  attempts: number;
  batch_id: string | null;
  tx_hash: string | null;
  settlement_mode: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** One payment with every column the detail page shows (`block_number` etc. as decimal strings). */
export type ConsolePaymentDetailRow = ConsolePaymentRow & Record<string, unknown> & { block_number: string | null };

/** One entry of a payment's history (`payment_events`). */
export interface ConsolePaymentEventRow {
  id: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  detail: unknown;
  created_at: Date;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Read models of the console's payments list and payment page. Nothing here writes. */
export class ConsolePaymentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Newest-first page of payments matching `f`, and how many match. `limit`/`offset` are the caller's
   * bounds. Never counts history: `total` is exact when the page is the last one (`totalIsEstimate`
   * false), otherwise the planner's row estimate, at least one more than the page reaches. Every filter
   * runs on an index (see the console-volume migration); a merchant name or payTo is first resolved in
   * the small merchant tables so the payments scan stays on the merchant's index.
   */
  async list(f: ConsolePaymentFilter, limit: number, offset: number): Promise<{ rows: ConsolePaymentRow[]; total: number; totalIsEstimate: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = whereAdder(params, where);
    if (f.status && (PAYMENT_STATUSES as readonly string[]).includes(f.status)) add('p.status = ?', f.status);
    if (f.merchant) {
      if (UUID_TEXT.test(f.merchant)) add('p.merchant_id = ?', f.merchant);
      else {
        const ids = await this.merchantIdsNamed(f.merchant);
        if (!ids.length) return { rows: [], total: 0, totalIsEstimate: false };
        add('p.merchant_id = ANY(?::uuid[])', ids);
      }
    }
    if (f.payer) add('p.payer = ?', f.payer.toLowerCase());
    if (f.payTo) {
      // Verify accepts only a payTo registered to the merchant, and addresses are retired, never deleted.
      const owner = await this.payToOwner(f.payTo.toLowerCase());
      if (!owner) return { rows: [], total: 0, totalIsEstimate: false };
      add('(p.merchant_id = ? AND p.pay_to = ?)', owner, f.payTo.toLowerCase());
    }
    if (f.network) add('p.network = ?', f.network);
    if (f.reason) add('p.failure_reason = ?', f.reason);
    if (f.from) add('p.created_at >= ?', f.from);
    if (f.to) add('p.created_at < ?', f.to);
    if (f.q) {
      const q = f.q.trim();
      if (UUID_TEXT.test(q)) add('p.id = ?', q);
      else if (/^0x[0-9a-fA-F]{64}$/.test(q)) add('(p.nonce = ? OR p.tx_hash = ?)', q.toLowerCase(), q.toLowerCase());
      else if (HEX_ADDRESS.test(q)) {
        // A merchant's payTo is searched as payTo (on the merchant's index), anything else as a payer.
        const owner = await this.payToOwner(q.toLowerCase());
        if (owner) add('(p.merchant_id = ? AND p.pay_to = ?)', owner, q.toLowerCase());
        else add('p.payer = ?', q.toLowerCase());
      } else add(referenceMatchSql('p', '?'), q, q);
    }
    const cond = whereClause(where);
    const rows: ConsolePaymentRow[] = await this.dataSource.query(
      newestPaymentsSql({
        select: `p.id, p.reference, p.status, p.merchant_id, m.name AS merchant_name, p.network, p.asset, p.payer, p.pay_to,
                 p.amount::text, p.failure_reason, p.failure_message, p.attempts, p.batch_id, p.tx_hash, p.settlement_mode,
                 p.expires_at, p.created_at, p.updated_at`,
        from: 'JOIN merchants m ON m.id = p.merchant_id',
        where,
        limit: limit + 1,
        offset,
      }),
      params,
    );
    if (rows.length <= limit) return { rows, total: offset + rows.length, totalIsEstimate: offset > 0 && rows.length === 0 };
    rows.pop();
    return { rows, total: Math.max(offset + limit + 1, await this.estimate(`SELECT 1 FROM payments_all p ${cond}`, params)), totalIsEstimate: true };
  }

  /** The planner's row estimate for `sql` (EXPLAIN plans, runs nothing). */
  private async estimate(sql: string, params: unknown[]): Promise<number> {
    const [row] = await this.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const plan = (row['QUERY PLAN'] as Array<{ Plan: { 'Plan Rows': number } }>)[0].Plan;
    return Math.round(plan['Plan Rows']);
  }

  /** Ids of merchants whose name contains `part` (case-insensitive; merchants is small). */
  private async merchantIdsNamed(part: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM merchants WHERE name ILIKE $1`, [`%${escapeLike(part)}%`]);
    return rows.map((r) => r.id);
  }

  /** The merchant a payTo address is registered to (retired ones too), or undefined. */
  private async payToOwner(address: string): Promise<string | undefined> {
    const [row] = await this.dataSource.query(`SELECT merchant_id FROM merchant_pay_to WHERE address = $1`, [address]);
    return row?.merchant_id;
  }

  /** One payment by id (UUID text) or reference; undefined when there is none. */
  async find(refOrId: string): Promise<ConsolePaymentDetailRow | undefined> {
    const [p] = await this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.merchant_id, m.name AS merchant_name, p.x402_version, p.network, p.asset, p.payer, p.pay_to,
              p.amount::text, p.valid_after::text, p.valid_before::text, p.expires_at, p.nonce, p.settlement_mode, p.failure_reason,
              p.failure_message, p.payment_identifier, p.requirements->>'resource' AS resource, p.batch_id, p.tx_hash, p.log_index, p.block_number::text, p.block_hash,
              p.attempts, p.queued_at, p.included_at, p.confirmed_at, p.created_at, p.updated_at
         FROM payments_all p JOIN merchants m ON m.id = p.merchant_id
        WHERE ${UUID_TEXT.test(refOrId) ? 'p.id = $1' : referenceMatchSql('p', '$1')}`,
      [refOrId],
    );
    return p;
  }

  /** The payment's history, oldest first: its own events and the batch steps that list it (`tollgate_payment_events`). */
  async events(paymentId: string): Promise<ConsolePaymentEventRow[]> {
    return this.dataSource.query(
      `SELECT e.id::text AS id, e.from_status, e.to_status, e.reason, e.detail, e.created_at FROM tollgate_payment_events($1) e ORDER BY e.id`,
      [paymentId],
    );
  }

  /**
   * Every batch the payment was ever claimed into (retries and reorgs make more than one) and its current
   * one, oldest first: looked up by primary key (an `IN (…) OR` here walked every batch ever made).
   */
  async batches(paymentId: string, currentBatchId: string | null): Promise<Array<Record<string, unknown> & { id: string }>> {
    return this.dataSource.query(
      `SELECT b.id, b.status, b.kind, b.relayer, b.nonce::text, b.tx_hash, b.block_number::text, b.replacements, b.payment_count,
              b.failure_reason, b.created_at, b.replace_requested_at
         FROM settlement_batches b
        WHERE b.id = ANY(ARRAY(SELECT tollgate_payment_batches($1::uuid)) || $2::uuid)
        ORDER BY b.created_at`,
      [paymentId, currentBatchId],
    );
  }

  /** Every broadcast transaction of those batches (replacements included), oldest first. */
  async transactions(batchIds: readonly string[]): Promise<Array<Record<string, unknown>>> {
    return this.dataSource.query(
      `SELECT batch_id, tx_hash, nonce::text, purpose, status, max_fee_per_gas::text, max_priority_fee_per_gas::text, created_at, broadcast_at
         FROM relayer_transactions WHERE batch_id = ANY($1::uuid[]) ORDER BY created_at`,
      [batchIds],
    );
  }

  /** The payment's webhook deliveries, oldest first (needs the webhook tables). */
  async deliveries(paymentId: string): Promise<Array<Record<string, unknown>>> {
    return this.dataSource.query(
      `SELECT d.id, d.event_type, d.status, d.attempt_count, d.last_status_code, d.created_at, e.url
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.payment_id = $1 ORDER BY d.created_at`,
      [paymentId],
    );
  }
}
