import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { getAddress } from 'viem';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import type { PaymentStatus } from '@tollgate/persistence';
import { AssetDirectory } from '@tollgate/webhooks';
import { Cursor, cursorTimestampSql } from './validation';
import { whereAdder, isoOrNull } from '../common/sql-where';
import { logSafeError } from '@tollgate/evm';

/** A payment as listed to its merchant. Addresses checksummed; amounts atomic units + decimal string. */
export interface MerchantPaymentView {
  reference: string;
  status: PaymentStatus;
  settlementMode: string | null;
  network: string;
  asset: string;
  payer: string;
  payTo: string;
  amount: string;
  amountDecimal: string | null;
  transaction: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PaymentEventView {
  from: string | null;
  to: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
  at: string;
}

/** One payment in full: on-chain facts, batch, confirmations at the time of the request, history. */
export interface MerchantPaymentDetail extends MerchantPaymentView {
  failureMessage: string | null;
  /** Unix seconds, as signed. */
  validAfter: string;
  validBefore: string;
  /** Times the payment went back to the queue (retriable failures, reorgs). */
  attempts: number;
  logIndex: number | null;
  blockNumber: string | null;
  blockHash: string | null;
  /** Blocks on top of the inclusion block, counting it (chain head − block + 1); null before inclusion or when the RPC did not answer. */
  confirmations: number | null;
  batch: { id: string; status: string; submittedAt: string | null; includedAt: string | null; confirmedAt: string | null } | null;
  queuedAt: string | null;
  includedAt: string | null;
  confirmedAt: string | null;
  events: PaymentEventView[];
}

/** What anyone holding a reference may learn: no more than the payer already knows. */
export interface PublicPaymentStatus {
  reference: string;
  status: PaymentStatus;
  network: string;
  /** Settlement transaction hash once included; null before. */
  transaction: string | null;
}

export interface PaymentFilters {
  status?: PaymentStatus[];
  payer?: string;
  payTo?: string;
  network?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}

interface PaymentRow {
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
  created_at: Date;
  updated_at: Date;
  cursor_ts: string;
}

const HEAD_TIMEOUT_MS = 2000;
const iso = isoOrNull;

/** Payments as their merchant (and, minimally, the public) sees them. Every merchant query is scoped by merchant id. */
@Injectable()
export class MerchantPaymentsService {
  private readonly logger = new Logger(MerchantPaymentsService.name);
  private readonly assets: AssetDirectory;

  constructor(
    @Inject(TOLLGATE_CONFIG) config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly chains: ChainClients,
  ) {
    this.assets = new AssetDirectory(config.networks);
  }

  /** Newest first; keyset pagination over (created_at, id). */
  async list(merchantId: string, f: PaymentFilters): Promise<{ data: MerchantPaymentView[]; nextCursor: string | null }> {
    const cursor = Cursor.decode(f.cursor);
    const params: unknown[] = [merchantId];
    const where = ['merchant_id = $1'];
    const add = whereAdder(params, where);
    if (f.status) add('status = ANY(?::text[])', f.status);
    if (f.payer) add('payer = ?', f.payer.toLowerCase());
    if (f.payTo) add('pay_to = ?', f.payTo.toLowerCase());
    if (f.network) add('network = ?', f.network);
    if (f.since) add('created_at >= ?', f.since);
    if (f.until) add('created_at < ?', f.until);
    if (cursor) add('(created_at, id) < (?::timestamptz, ?::uuid)', cursor.ts, cursor.id);
    params.push(f.limit + 1);
    const rows: PaymentRow[] = await this.dataSource.query(
      `SELECT id, reference, status, settlement_mode, network, asset, payer, pay_to, amount::text, tx_hash, failure_reason,
              created_at, updated_at, ${cursorTimestampSql('created_at')} AS cursor_ts
         FROM payments WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { data: page.map((r) => this.view(r)), nextCursor: rows.length > f.limit && last ? Cursor.encode(last.cursor_ts, last.id) : null };
  }

  /** @throws NotFoundException for another merchant's payment or an unknown reference. */
  async detail(merchantId: string, reference: string): Promise<MerchantPaymentDetail> {
    const [r]: Array<
      PaymentRow & {
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
    > = await this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.settlement_mode, p.network, p.asset, p.payer, p.pay_to, p.amount::text, p.tx_hash,
              p.failure_reason, p.failure_message, p.valid_after::text, p.valid_before::text, p.attempts, p.log_index,
              p.block_number::text, p.block_hash, p.batch_id, p.queued_at, p.included_at, p.confirmed_at, p.created_at, p.updated_at,
              b.status AS batch_status, b.submitted_at AS batch_submitted_at, b.included_at AS batch_included_at, b.confirmed_at AS batch_confirmed_at
         FROM payments p LEFT JOIN settlement_batches b ON b.id = p.batch_id
        WHERE p.reference = $1 AND p.merchant_id = $2`,
      [reference, merchantId],
    );
    if (!r) throw new NotFoundException('payment not found');
    const events: Array<{ from_status: string | null; to_status: string; reason: string | null; detail: Record<string, unknown> | null; created_at: Date }> =
      await this.dataSource.query(`SELECT from_status, to_status, reason, detail, created_at FROM payment_events WHERE payment_id = $1 ORDER BY id`, [r.id]);
    return {
      ...this.view(r),
      failureMessage: r.failure_message,
      validAfter: r.valid_after,
      validBefore: r.valid_before,
      attempts: r.attempts,
      logIndex: r.log_index,
      blockNumber: r.block_number,
      blockHash: r.block_hash,
      confirmations: r.block_number && (r.status === 'included' || r.status === 'confirmed') ? await this.confirmations(r.network, BigInt(r.block_number)) : null,
      batch: r.batch_id
        ? {
            id: r.batch_id,
            status: r.batch_status ?? 'unknown',
            submittedAt: iso(r.batch_submitted_at),
            includedAt: iso(r.batch_included_at),
            confirmedAt: iso(r.batch_confirmed_at),
          }
        : null,
      queuedAt: iso(r.queued_at),
      includedAt: iso(r.included_at),
      confirmedAt: iso(r.confirmed_at),
      events: events.map((e) => ({ from: e.from_status, to: e.to_status, reason: e.reason, detail: e.detail, at: new Date(e.created_at).toISOString() })),
    };
  }

  /** @throws NotFoundException for an unknown reference. */
  async publicStatus(reference: string): Promise<PublicPaymentStatus> {
    const [r]: Array<{ status: PaymentStatus; network: string; tx_hash: string | null }> = await this.dataSource.query(
      `SELECT status, network, tx_hash FROM payments WHERE reference = $1`,
      [reference],
    );
    if (!r) throw new NotFoundException('payment not found');
    const included = r.status === 'included' || r.status === 'confirmed';
    return { reference, status: r.status, network: r.network, transaction: included ? r.tx_hash : null };
  }

  private view(r: PaymentRow): MerchantPaymentView {
    return {
      reference: r.reference,
      status: r.status,
      settlementMode: r.settlement_mode,
      network: r.network,
      asset: getAddress(r.asset),
      payer: getAddress(r.payer),
      payTo: getAddress(r.pay_to),
      amount: r.amount,
      amountDecimal: this.assets.decimal(r.network, r.asset, r.amount),
      transaction: r.tx_hash,
      failureReason: r.failure_reason,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** Depth of `block` at the chain head; null when the network is not served or the RPC is slow or down. */
  private async confirmations(network: string, block: bigint): Promise<number | null> {
    if (!this.chains.has(network)) return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const head = await Promise.race([
        this.chains.get(network).getBlockNumber({ cacheTime: 0 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no chain head within ${HEAD_TIMEOUT_MS} ms`)), HEAD_TIMEOUT_MS);
        }),
      ]);
      return head >= block ? Number(head - block + 1n) : 0;
    } catch (e) {
      this.logger.warn(`confirmations for ${network}: ${logSafeError(e)}`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
