import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { getAddress } from 'viem';
import { explorerTxUrl, TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import {
  ConsoleBatchDetailRow,
  ConsoleBatchesRepository,
  ConsoleBatchPaymentRow,
  ConsoleBatchRow,
  ConsoleBatchTransactionRow,
  ConsoleDeliveryRow,
  ConsoleEndpointRow,
  ConsoleMerchantRow,
  ConsoleMerchantsRepository,
  ConsoleOverviewRepository,
  ConsolePaymentDetailRow,
  ConsolePaymentEventRow,
  ConsolePaymentFilter,
  ConsolePaymentRow,
  ConsolePaymentsRepository,
  FailingEndpointRow,
  LaneStatsRepository,
  WebhookEndpointHealthRepository,
} from '@tollgate/persistence';
import { readRelayerNonceGaps, wedgedMessage } from '@tollgate/settlement';
import { BatchRowCounts, BatchRowOutcome, batchRowOutcome, countBatchRows } from './batch-outcomes';
import { laneHealthThresholds } from './lane-health';
import { LaneStats, laneStats } from './lane-stats';
import { relayerAlerts } from './relayer-alerts';
import { SvmConsoleService, SvmOverview, SvmPaymentDetail } from './svm-console.service';

/** Rows as the admin API and console have always named them (declared in libs/persistence). */
export type PaymentListRow = ConsolePaymentRow;
export type BatchListRow = ConsoleBatchRow;
export type MerchantRow = ConsoleMerchantRow;
export type EndpointRow = ConsoleEndpointRow;
export type DeliveryRow = ConsoleDeliveryRow;

/** RPC reads on console pages never hold a page longer than this. */
const RPC_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms = RPC_TIMEOUT_MS): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

/** One relayer as the overview shows it. */
export interface RelayerStats {
  network: string;
  address: string;
  /** Native balance in wei, or null when the RPC did not answer. */
  balanceWei: bigint | null;
  /** Next nonce Tollgate will allocate (Postgres) and the chain's pending nonce. */
  nextNonce: string | null;
  chainNonce: number | null;
  openBatches: number;
  /** Nonces the chain (mined) is behind the lowest live transaction: above 0 nothing the relayer sends can be mined. */
  nonceGap: number;
  /** Since when that gap exists, if any. */
  nonceGapSince: Date | null;
  /** The gap outlasted RELAYER_WEDGED_AFTER_MS: an operator must look (the console shows an alarm). */
  wedged: boolean;
  /** The alarm text when wedged. */
  alarm?: string;
  error?: string;
  /** RELAYER_LOW_BALANCE_WEI(_<chainId>) of its network (0n: none). */
  lowBalanceWei: bigint;
  /** Balance against that threshold: `low` (amber) below it, `critical` (red) below a quarter of it. */
  balanceLevel: 'ok' | 'low' | 'critical' | 'unknown';
  /** Tollgate's next nonce minus the chain's pending nonce (null when the chain did not answer); highlighted when not 0. */
  nonceDrift: number | null;
}

/** Activity totals over a window. */
export interface WindowTotals {
  window: '1h' | '24h';
  accepted: number;
  queued: number;
  included: number;
  includedAmount: string;
  confirmed: number;
  failed: number;
  lapsed: number;
  batches: number;
  feesPaidWei: string;
}

/** Filters of the payments list (all optional; combined with AND), and the page wanted. */
export interface PaymentFilter extends ConsolePaymentFilter {
  limit?: number;
  offset?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page's bounds: limit 1-200 (default 50), offset ≥ 0. */
function page(f: { limit?: number; offset?: number }): { limit: number; offset: number } {
  return { limit: Math.min(Math.max(f.limit ?? 50, 1), 200), offset: Math.max(f.offset ?? 0, 0) };
}

/**
 * Read models of the operator console and admin API: the console repositories of libs/persistence plus
 * chain reads (balances, nonces, head) bounded by a timeout; nothing here writes. Every list is bounded
 * (limit ≤ 200).
 */
@Injectable()
export class AdminQueriesService {
  constructor(
    // Only for the relayer nonce gaps, which libs/settlement reads.
    private readonly dataSource: DataSource,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly chains: ChainClients,
    private readonly lanes: LaneStatsRepository,
    private readonly overviews: ConsoleOverviewRepository,
    private readonly paymentRows: ConsolePaymentsRepository,
    private readonly batchRows: ConsoleBatchesRepository,
    private readonly merchantRows: ConsoleMerchantsRepository,
    private readonly endpointHealth: WebhookEndpointHealthRepository,
    private readonly svm: SvmConsoleService,
  ) {}

  /** Lanes, relayers and activity totals for the last hour and day; Solana lanes and fee payers under `solana` (when served). */
  async overview(): Promise<{
    lanes: LaneStats[];
    laneThresholds: { slowAfterSeconds: number; stalledAfterSeconds: number };
    relayers: RelayerStats[];
    totals: WindowTotals[];
    solana?: SvmOverview;
    generatedAt: Date;
  }> {
    const [all, relayers, h, d] = await Promise.all([laneStats(this.lanes, this.config), this.relayers(), this.totals('1h'), this.totals('24h')]);
    // EVM lanes keep their table (batches, pause/flush); Solana lanes have their own section.
    const lanes = all.filter((l) => l.family === 'evm');
    const solana = this.svm.enabled || all.length !== lanes.length ? await this.svm.overview(all) : undefined;
    return { lanes, laneThresholds: laneHealthThresholds(this.config.settlement.maxWaitMs), relayers, totals: [h, d], solana, generatedAt: new Date() };
  }

  /**
   * Every relayer the worker registered (`relayers`; the API holds no keys) on a served network, with its
   * balance and nonces (RPC reads bounded by a timeout).
   */
  async relayers(): Promise<RelayerStats[]> {
    const db = await this.overviews.relayers();
    const open = await this.overviews.openBatchesByRelayer();
    // Read by address, keylessly, the same way /health/ready reads them.
    const gaps = await readRelayerNonceGaps(this.dataSource, this.chains, this.config).catch(() => []);
    const out: RelayerStats[] = [];
    for (const n of this.config.networks) {
      for (const r of db.filter((x) => x.network === n.network).map((x) => ({ id: x.address, address: getAddress(x.address) }))) {
        const client = this.chains.get(n.network);
        const stats: RelayerStats = {
          network: n.network,
          address: r.address,
          balanceWei: null,
          nextNonce: db.find((x) => x.network === n.network && x.address === r.id)?.next_nonce ?? null,
          chainNonce: null,
          openBatches: open.find((x) => x.network === n.network && x.relayer === r.id)?.n ?? 0,
          nonceGap: 0,
          nonceGapSince: null,
          wedged: false,
          lowBalanceWei: BigInt(this.config.alerts.relayerLowBalanceWei[n.network] ?? '0'),
          balanceLevel: 'unknown',
          nonceDrift: null,
        };
        const gap = gaps.find((g) => g.network === n.network && g.address === r.id);
        if (gap) {
          stats.nonceGap = gap.gap;
          stats.nonceGapSince = gap.since;
          stats.wedged = gap.wedged;
          if (gap.wedged) stats.alarm = wedgedMessage(gap);
        }
        try {
          const [balance, nonce] = await withTimeout(
            Promise.all([client.getBalance({ address: r.address }), client.getTransactionCount({ address: r.address, blockTag: 'pending' })]),
          );
          stats.balanceWei = balance;
          stats.chainNonce = nonce;
        } catch (e) {
          stats.error = (e as Error).message.split('\n')[0];
        }
        out.push({ ...stats, ...relayerAlerts(stats) });
      }
    }
    return out;
  }

  /** Activity over the last hour or day. */
  async totals(window: '1h' | '24h'): Promise<WindowTotals> {
    const interval = window === '1h' ? '1 hour' : '24 hours';
    const r = await this.overviews.totals(interval);
    return {
      window,
      accepted: r.accepted,
      queued: r.queued,
      included: r.included,
      includedAmount: r.included_amount,
      confirmed: r.confirmed,
      failed: r.failed,
      lapsed: r.lapsed,
      batches: r.batches,
      feesPaidWei: r.fees,
    };
  }

  /**
   * Filtered, newest-first payment list. `total` is exact on the last page, otherwise the planner's
   * estimate (`totalIsEstimate`): history is never counted.
   */
  async payments(f: PaymentFilter): Promise<{ rows: PaymentListRow[]; total: number; totalIsEstimate: boolean; limit: number; offset: number }> {
    const { limit, offset } = page(f);
    const { rows, total, totalIsEstimate } = await this.paymentRows.list(f, limit, offset);
    return { rows, total, totalIsEstimate, limit, offset };
  }

  /** One payment with its full history, batch, every broadcast transaction, block and confirmations. */
  async payment(refOrId: string): Promise<PaymentDetail | null> {
    const p = await this.paymentRows.find(refOrId);
    if (!p) return null;
    const events = await this.paymentRows.events(p.id);
    const batches = await this.paymentRows.batches(p.id, p.batch_id);
    const transactions = batches.length ? await this.paymentRows.transactions(batches.map((b) => b.id)) : [];
    let confirmations: number | null = null;
    let headError: string | undefined;
    if (p.block_number && this.chains.has(p.network)) {
      try {
        const head = await withTimeout(this.chains.get(p.network).getBlockNumber({ cacheTime: 0 }));
        confirmations = Number(head - BigInt(p.block_number) + 1n);
      } catch (e) {
        headError = (e as Error).message.split('\n')[0];
      }
    }
    const deliveries = (await this.hasWebhookTables()) ? await this.paymentRows.deliveries(p.id) : [];
    const solana = (await this.svm.payment(p)) ?? undefined;
    if (solana) confirmations = solana.confirmations;
    const explorerUrl = solana ? solana.explorerUrl : explorerTxUrl(this.config.explorers, p.network, p.tx_hash);
    return { payment: p, events, batches, transactions, confirmations, headError, deliveries, solana, explorerUrl };
  }

  /** Newest-first batches, optionally by status. */
  async batches(f: { status?: string; network?: string; limit?: number; offset?: number }): Promise<BatchListRow[]> {
    const { limit, offset } = page(f);
    return this.batchRows.list(f, limit, offset);
  }

  /** One batch: its rows (including those that left it) with their outcome, every transaction, gas figures. */
  async batch(id: string): Promise<BatchDetail | null> {
    if (!UUID.test(id)) return null;
    const batch = await this.batchRows.find(id);
    if (!batch) return null;
    const rows = await this.batchRows.payments(id);
    const transactions = await this.batchRows.transactions(id);
    const counts = countBatchRows(rows);
    const landed = counts.landed;
    const gasPerPayment = batch.gas_used && landed ? (BigInt(batch.gas_used) / BigInt(landed)).toString() : null;
    return { batch, rows: rows.map((r) => ({ ...r, outcome: batchRowOutcome(r) })), transactions, landed, counts, gasPerPayment };
  }

  /**
   * Failures (and lapses) grouped by reason: totals over 1 h / 24 h / 7 d and hourly counts over the last
   * `hours` for a small chart.
   */
  async failures(hours = 24): Promise<{ reasons: FailureGroup[]; hours: number; buckets: string[] }> {
    const h = Math.min(Math.max(hours, 1), 24 * 7);
    const rows = await this.overviews.failureBuckets();
    const now = Date.now();
    const hourMs = 3_600_000;
    const start = Math.floor(now / hourMs) * hourMs - (h - 1) * hourMs;
    const buckets = Array.from({ length: h }, (_, i) => new Date(start + i * hourMs).toISOString());
    const groups = new Map<string, FailureGroup>();
    for (const r of rows) {
      const key = r.reason ?? 'unknown';
      const g = groups.get(key) ?? { reason: key, status: r.to_status, lastHour: 0, lastDay: 0, lastWeek: 0, series: new Array(h).fill(0) };
      const t = new Date(r.bucket).getTime();
      g.lastWeek += r.n;
      if (t >= now - 24 * hourMs - hourMs) g.lastDay += r.n;
      if (t >= Math.floor(now / hourMs) * hourMs - hourMs) g.lastHour += r.n;
      const i = Math.round((t - start) / hourMs);
      if (i >= 0 && i < h) g.series[i] += r.n;
      groups.set(key, g);
    }
    const current = await this.overviews.currentlyFailed();
    for (const c of current) {
      const g = groups.get(c.reason);
      if (g) g.currentlyFailed = c.n;
    }
    return { reasons: [...groups.values()].sort((a, b) => b.lastDay - a.lastDay || b.lastWeek - a.lastWeek), hours: h, buckets };
  }

  /** Merchants with their key prefixes, payTo addresses, endpoints and policy. */
  async merchants(): Promise<MerchantRow[]> {
    return this.merchantRows.merchants(await this.hasWebhookTables());
  }

  /** One merchant with its endpoints. */
  async merchant(id: string): Promise<{ merchant: MerchantRow; endpoints: EndpointRow[] } | null> {
    if (!UUID.test(id)) return null;
    const merchant = (await this.merchants()).find((m) => m.id === id);
    if (!merchant) return null;
    const endpoints = (await this.hasWebhookTables()) ? await this.merchantRows.endpoints(id) : [];
    return { merchant, endpoints };
  }

  /** Webhook deliveries, newest first, per merchant and/or endpoint, with their attempts. */
  async webhookDeliveries(f: { merchant?: string; endpoint?: string; status?: string; before?: { createdAt: string; id: string }; limit?: number; offset?: number }): Promise<DeliveryRow[]> {
    if (!(await this.hasWebhookTables())) return [];
    const { limit, offset } = page(f);
    return this.merchantRows.deliveries(
      {
        merchant: f.merchant && UUID.test(f.merchant) ? f.merchant : undefined,
        endpoint: f.endpoint && UUID.test(f.endpoint) ? f.endpoint : undefined,
        status: f.status,
        before: f.before,
      },
      limit,
      offset,
    );
  }

  /** Webhook endpoints failing now or disabled, longest-failing first (at most 50). */
  async failingEndpoints(): Promise<FailingEndpointRow[]> {
    return (await this.hasWebhookTables()) ? this.endpointHealth.failing(50) : [];
  }

  /** True once the webhooks migration has run (the console works without it). */
  async hasWebhookTables(): Promise<boolean> {
    return this.merchantRows.hasWebhookTables();
  }
}

/** Payment detail page/API. */
export interface PaymentDetail {
  payment: ConsolePaymentDetailRow;
  events: ConsolePaymentEventRow[];
  batches: Array<Record<string, unknown>>;
  transactions: Array<Record<string, unknown>>;
  confirmations: number | null;
  headError?: string;
  deliveries: Array<Record<string, unknown>>;
  /** A Solana payment's transaction: signature, slot, commitment, fee payer (absent on EVM or before signing). */
  solana?: SvmPaymentDetail;
  /** Explorer link of the payment's transaction (EXPLORER_TX_URL_<K>), or null. */
  explorerUrl: string | null;
}

/** Batch detail page/API. */
export interface BatchDetail {
  batch: ConsoleBatchDetailRow;
  /** Every row ever claimed into the batch, with what became of it here. */
  rows: Array<ConsoleBatchPaymentRow & { outcome: BatchRowOutcome }>;
  transactions: ConsoleBatchTransactionRow[];
  landed: number;
  /** The listed rows by outcome (they add up to `claimed`). */
  counts: BatchRowCounts;
  gasPerPayment: string | null;
}

/** Failures of one reason. */
export interface FailureGroup {
  reason: string;
  status: string;
  lastHour: number;
  lastDay: number;
  lastWeek: number;
  /** Hourly counts, oldest first. */
  series: number[];
  /** Payments in `failed` with this reason right now (retries lower it). */
  currentlyFailed?: number;
}
