import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { MerchantPaymentRepository, type MerchantPaymentRow, type PaymentStatus } from '@tollgate/persistence';
import { AssetDirectory } from '@tollgate/webhooks';
import { Cursor } from './validation';
import { isoOrNull } from '../common/iso-time';
import { logSafeError } from '@tollgate/evm';
import { displayAddress } from '@tollgate/evm';

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
  /** URL of the paid resource (v1 `paymentRequirements.resource`, v2 `paymentPayload.resource.url`); null when the request named none. */
  resource: string | null;
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

const HEAD_TIMEOUT_MS = 2000;
const iso = isoOrNull;

/** Payments as their merchant (and, minimally, the public) sees them. Every merchant query is scoped by merchant id. */
@Injectable()
export class MerchantPaymentsService {
  private readonly logger = new Logger(MerchantPaymentsService.name);
  private readonly assets: AssetDirectory;

  constructor(
    @Inject(TOLLGATE_CONFIG) config: TollgateConfig,
    private readonly payments: MerchantPaymentRepository,
    private readonly chains: ChainClients,
  ) {
    this.assets = new AssetDirectory(config.networks);
  }

  /** Newest first; keyset pagination over (created_at, id). */
  async list(merchantId: string, f: PaymentFilters): Promise<{ data: MerchantPaymentView[]; nextCursor: string | null }> {
    const rows = await this.payments.list(merchantId, { ...f, cursor: Cursor.decode(f.cursor), limit: f.limit + 1 });
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { data: page.map((r) => this.view(r)), nextCursor: rows.length > f.limit && last ? Cursor.encode(last.cursor_ts, last.id) : null };
  }

  /** @throws NotFoundException for another merchant's payment or an unknown reference. */
  async detail(merchantId: string, reference: string): Promise<MerchantPaymentDetail> {
    const r = await this.payments.detail(merchantId, reference);
    if (!r) throw new NotFoundException('payment not found');
    const events = await this.payments.events(r.id);
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
    const r = await this.payments.publicStatus(reference);
    if (!r) throw new NotFoundException('payment not found');
    const included = r.status === 'included' || r.status === 'confirmed';
    return { reference, status: r.status, network: r.network, transaction: included ? r.tx_hash : null };
  }

  /** A payment row as its merchant sees it (addresses checksummed, amount also as a decimal string). */
  view(r: MerchantPaymentRow): MerchantPaymentView {
    return {
      reference: r.reference,
      status: r.status,
      settlementMode: r.settlement_mode,
      network: r.network,
      asset: displayAddress(r.asset),
      payer: displayAddress(r.payer),
      payTo: displayAddress(r.pay_to),
      amount: r.amount,
      amountDecimal: this.assets.decimal(r.network, r.asset, r.amount),
      transaction: r.tx_hash,
      failureReason: r.failure_reason,
      resource: r.resource,
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
