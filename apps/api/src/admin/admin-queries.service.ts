import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { getAddress } from 'viem';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { IN_FLIGHT_BATCH_STATUSES, PAYMENT_STATUSES } from '@tollgate/persistence';
import { readRelayerNonceGaps, wedgedMessage } from '@tollgate/settlement';
import { LaneStats, laneStats } from './lane-stats';
import { whereAdder } from '../common/sql-where';

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

/** Filters of the payments list (all optional; combined with AND). */
export interface PaymentFilter {
  status?: string;
  merchant?: string;
  payer?: string;
  payTo?: string;
  network?: string;
  reason?: string;
  /** Reference (`pay_…`), payment id, nonce or transaction hash. */
  q?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Read models of the operator console and admin API. Plain SQL over the settlement tables; nothing here
 * writes. Every list is bounded (limit ≤ 200).
 */
@Injectable()
export class AdminQueriesService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly chains: ChainClients,
  ) {}

  /** Lanes, relayers and activity totals for the last hour and day. */
  async overview(): Promise<{ lanes: LaneStats[]; relayers: RelayerStats[]; totals: WindowTotals[]; generatedAt: Date }> {
    const [lanes, relayers, h, d] = await Promise.all([laneStats(this.dataSource, this.config), this.relayers(), this.totals('1h'), this.totals('24h')]);
    return { lanes, relayers, totals: [h, d], generatedAt: new Date() };
  }

  /**
   * Every relayer the worker registered (`relayers`; the API holds no keys) on a served network, with its
   * balance and nonces (RPC reads bounded by a timeout).
   */
  async relayers(): Promise<RelayerStats[]> {
    const db: Array<{ network: string; address: string; next_nonce: string }> = await this.dataSource.query(
      `SELECT network, address, next_nonce::text FROM relayers ORDER BY created_at, address`,
    );
    const open: Array<{ network: string; relayer: string; n: number }> = await this.dataSource.query(
      `SELECT network, relayer, count(*)::int AS n FROM settlement_batches WHERE status = ANY($1::text[]) GROUP BY network, relayer`,
      [IN_FLIGHT_BATCH_STATUSES],
    );
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
        out.push(stats);
      }
    }
    return out;
  }

  async totals(window: '1h' | '24h'): Promise<WindowTotals> {
    const interval = window === '1h' ? '1 hour' : '24 hours';
    const [r] = await this.dataSource.query(
      `SELECT
         (SELECT count(*)::int FROM payments WHERE created_at > now() - $1::interval) AS accepted,
         (SELECT count(*)::int FROM payments WHERE queued_at > now() - $1::interval) AS queued,
         (SELECT count(*)::int FROM payments WHERE included_at > now() - $1::interval) AS included,
         (SELECT coalesce(sum(amount), 0)::text FROM payments WHERE included_at > now() - $1::interval) AS included_amount,
         (SELECT count(*)::int FROM payments WHERE confirmed_at > now() - $1::interval) AS confirmed,
         (SELECT count(*)::int FROM payment_events WHERE to_status = 'failed' AND created_at > now() - $1::interval) AS failed,
         (SELECT count(*)::int FROM payment_events WHERE to_status = 'lapsed' AND created_at > now() - $1::interval) AS lapsed,
         (SELECT count(*)::int FROM settlement_batches WHERE created_at > now() - $1::interval) AS batches,
         (SELECT coalesce(sum(fee_paid), 0)::text FROM settlement_batches WHERE created_at > now() - $1::interval) AS fees`,
      [interval],
    );
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

  /** Filtered, newest-first payment list. */
  async payments(f: PaymentFilter): Promise<{ rows: PaymentListRow[]; total: number; limit: number; offset: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = whereAdder(params, where);
    if (f.status && (PAYMENT_STATUSES as readonly string[]).includes(f.status)) add('p.status = ?', f.status);
    if (f.merchant) {
      if (UUID.test(f.merchant)) add('p.merchant_id = ?', f.merchant);
      else add('m.name ILIKE ?', `%${escapeLike(f.merchant)}%`);
    }
    if (f.payer) add('p.payer = ?', f.payer.toLowerCase());
    if (f.payTo) add('p.pay_to = ?', f.payTo.toLowerCase());
    if (f.network) add('p.network = ?', f.network);
    if (f.reason) add('p.failure_reason = ?', f.reason);
    if (f.from) add('p.created_at >= ?', f.from);
    if (f.to) add('p.created_at < ?', f.to);
    if (f.q) {
      const q = f.q.trim();
      if (UUID.test(q)) add('p.id = ?', q);
      else if (/^0x[0-9a-fA-F]{64}$/.test(q)) add('(p.nonce = ? OR p.tx_hash = ?)', q.toLowerCase(), q.toLowerCase());
      else if (HEX_ADDRESS.test(q)) add('(p.payer = ? OR p.pay_to = ?)', q.toLowerCase(), q.toLowerCase());
      else add('p.reference = ?', q);
    }
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const offset = Math.max(f.offset ?? 0, 0);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query(
        `SELECT p.id, p.reference, p.status, p.merchant_id, m.name AS merchant_name, p.network, p.asset, p.payer, p.pay_to,
                p.amount::text, p.failure_reason, p.failure_message, p.attempts, p.batch_id, p.tx_hash, p.settlement_mode,
                p.expires_at, p.created_at, p.updated_at
           FROM payments p JOIN merchants m ON m.id = p.merchant_id ${cond}
          ORDER BY p.created_at DESC, p.id DESC LIMIT ${limit} OFFSET ${offset}`,
        params,
      ),
      this.dataSource.query(`SELECT count(*)::int AS total FROM payments p JOIN merchants m ON m.id = p.merchant_id ${cond}`, params),
    ]);
    return { rows, total, limit, offset };
  }

  /** One payment with its full history, batch, every broadcast transaction, block and confirmations. */
  async payment(refOrId: string): Promise<PaymentDetail | null> {
    const [p] = await this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.merchant_id, m.name AS merchant_name, p.x402_version, p.network, p.asset, p.payer, p.pay_to,
              p.amount::text, p.valid_after::text, p.valid_before::text, p.expires_at, p.nonce, p.settlement_mode, p.failure_reason,
              p.failure_message, p.payment_identifier, p.batch_id, p.tx_hash, p.log_index, p.block_number::text, p.block_hash,
              p.attempts, p.queued_at, p.included_at, p.confirmed_at, p.created_at, p.updated_at
         FROM payments p JOIN merchants m ON m.id = p.merchant_id
        WHERE ${UUID.test(refOrId) ? 'p.id = $1' : 'p.reference = $1'}`,
      [refOrId],
    );
    if (!p) return null;
    const events = await this.dataSource.query(
      `SELECT id::text, from_status, to_status, reason, detail, created_at FROM payment_events WHERE payment_id = $1 ORDER BY id`,
      [p.id],
    );
    // Every batch the payment was ever claimed into (retries and reorgs make more than one).
    const batches = await this.dataSource.query(
      `SELECT b.id, b.status, b.kind, b.relayer, b.nonce::text, b.tx_hash, b.block_number::text, b.replacements, b.payment_count,
              b.failure_reason, b.created_at, b.replace_requested_at
         FROM settlement_batches b
        WHERE b.id IN (SELECT (detail->>'batchId')::uuid FROM payment_events WHERE payment_id = $1 AND to_status = 'batched' AND detail ? 'batchId')
           OR b.id = $2
        ORDER BY b.created_at`,
      [p.id, p.batch_id],
    );
    const transactions = batches.length
      ? await this.dataSource.query(
          `SELECT batch_id, tx_hash, nonce::text, purpose, status, max_fee_per_gas::text, max_priority_fee_per_gas::text, created_at, broadcast_at
             FROM relayer_transactions WHERE batch_id = ANY($1::uuid[]) ORDER BY created_at`,
          [batches.map((b: { id: string }) => b.id)],
        )
      : [];
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
    const deliveries = (await this.hasWebhookTables())
      ? await this.dataSource.query(
          `SELECT d.id, d.event_type, d.status, d.attempt_count, d.last_status_code, d.created_at, e.url
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.payment_id = $1 ORDER BY d.created_at`,
          [p.id],
        )
      : [];
    return { payment: p, events, batches, transactions, confirmations, headError, deliveries };
  }

  /** Newest-first batches, optionally by status. */
  async batches(f: { status?: string; network?: string; limit?: number; offset?: number }): Promise<BatchListRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.status) {
      params.push(f.status);
      where.push(`b.status = $${params.length}`);
    }
    if (f.network) {
      params.push(f.network);
      where.push(`b.network = $${params.length}`);
    }
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const offset = Math.max(f.offset ?? 0, 0);
    return this.dataSource.query(
      `SELECT b.id, b.network, b.asset, b.relayer, b.status, b.kind, b.payment_count, b.nonce::text, b.gas_used::text,
              b.fee_paid::text, b.replacements, b.tx_hash, b.block_number::text, b.failure_reason, b.created_at, b.submitted_at,
              b.included_at, b.confirmed_at, b.replace_requested_at,
              (SELECT count(*)::int FROM payments p WHERE p.batch_id = b.id AND p.status IN ('included', 'confirmed')) AS landed
         FROM settlement_batches b ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY b.created_at DESC LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
  }

  /** One batch: its rows (including those that left it) with their outcome, every transaction, gas figures. */
  async batch(id: string): Promise<BatchDetail | null> {
    if (!UUID.test(id)) return null;
    const [batch] = await this.dataSource.query(
      `SELECT b.id, b.network, b.asset, b.relayer, b.status, b.kind, b.payment_count, b.nonce::text, b.gas_limit::text, b.gas_used::text,
              b.effective_gas_price::text, b.fee_paid::text, b.tx_hash, b.block_number::text, b.block_hash, b.replacements, b.failure_reason,
              b.created_at, b.submitted_at, b.included_at, b.confirmed_at, b.updated_at, b.replace_requested_at
         FROM settlement_batches b WHERE b.id = $1`,
      [id],
    );
    if (!batch) return null;
    const rows = await this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.payer, p.amount::text, p.failure_reason, p.tx_hash, p.log_index, p.batch_id IS NOT DISTINCT FROM $1::uuid AS still_in_batch,
              (SELECT row_to_json(x) FROM (
                 SELECT e2.to_status, e2.reason, e2.created_at FROM payment_events e2
                  WHERE e2.payment_id = p.id AND e2.id > e.id AND e2.from_status IN ('batched', 'submitted', 'included')
                  ORDER BY e2.id LIMIT 1) x) AS left_with
         FROM payment_events e JOIN payments p ON p.id = e.payment_id
        WHERE e.to_status = 'batched' AND e.detail->>'batchId' = $1::text
        ORDER BY p.expires_at, p.id`,
      [id],
    );
    const transactions = await this.dataSource.query(
      `SELECT tx_hash, nonce::text, purpose, status, gas_limit::text, max_fee_per_gas::text, max_priority_fee_per_gas::text, created_at, broadcast_at
         FROM relayer_transactions WHERE batch_id = $1 ORDER BY created_at`,
      [id],
    );
    const landed = rows.filter((r: { still_in_batch: boolean; status: string }) => r.still_in_batch && ['included', 'confirmed'].includes(r.status)).length;
    const gasPerPayment = batch.gas_used && landed ? (BigInt(batch.gas_used) / BigInt(landed)).toString() : null;
    return { batch, rows, transactions, landed, gasPerPayment };
  }

  /**
   * Failures (and lapses) grouped by reason: totals over 1 h / 24 h / 7 d and hourly counts over the last
   * `hours` for a small chart.
   */
  async failures(hours = 24): Promise<{ reasons: FailureGroup[]; hours: number; buckets: string[] }> {
    const h = Math.min(Math.max(hours, 1), 24 * 7);
    const rows: Array<{ reason: string | null; to_status: string; bucket: Date; n: number }> = await this.dataSource.query(
      `SELECT coalesce(reason, 'unknown') AS reason, to_status, date_trunc('hour', created_at) AS bucket, count(*)::int AS n
         FROM payment_events
        WHERE to_status IN ('failed', 'lapsed') AND created_at > now() - interval '7 days'
        GROUP BY 1, 2, 3`,
    );
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
    const current: Array<{ reason: string; n: number }> = await this.dataSource.query(
      `SELECT failure_reason AS reason, count(*)::int AS n FROM payments WHERE status = 'failed' GROUP BY 1`,
    );
    for (const c of current) {
      const g = groups.get(c.reason);
      if (g) g.currentlyFailed = c.n;
    }
    return { reasons: [...groups.values()].sort((a, b) => b.lastDay - a.lastDay || b.lastWeek - a.lastWeek), hours: h, buckets };
  }

  /** Merchants with their key prefixes, payTo addresses, endpoints and policy. */
  async merchants(): Promise<MerchantRow[]> {
    const hasWebhooks = await this.hasWebhookTables();
    return this.dataSource.query(
      `SELECT m.id, m.name, m.status, m.settlement_mode, m.confirmed_threshold::text, m.created_at,
              ${hasWebhooks ? `m.max_unsettled_exposure::text` : 'NULL::text'} AS max_unsettled_exposure,
              array(SELECT address FROM merchant_pay_to t WHERE t.merchant_id = m.id ORDER BY address) AS pay_to,
              array(SELECT prefix || CASE WHEN revoked_at IS NULL THEN '' ELSE ' (revoked)' END FROM merchant_api_keys k
                     WHERE k.merchant_id = m.id ORDER BY created_at) AS key_prefixes,
              ${hasWebhooks ? `(SELECT count(*)::int FROM webhook_endpoints e WHERE e.merchant_id = m.id AND e.deleted_at IS NULL)` : '0'} AS endpoints,
              (SELECT count(*)::int FROM payments p WHERE p.merchant_id = m.id) AS payments
         FROM merchants m ORDER BY m.created_at DESC LIMIT 500`,
    );
  }

  /** One merchant with its endpoints. */
  async merchant(id: string): Promise<{ merchant: MerchantRow; endpoints: EndpointRow[] } | null> {
    if (!UUID.test(id)) return null;
    const merchant = (await this.merchants()).find((m) => m.id === id);
    if (!merchant) return null;
    const endpoints: EndpointRow[] = (await this.hasWebhookTables())
      ? await this.dataSource.query(
          `SELECT id, url, description, event_types, status, disabled_reason, failing_since, last_success_at, last_failure_at, created_at
             FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY created_at`,
          [id],
        )
      : [];
    return { merchant, endpoints };
  }

  /** Webhook deliveries, newest first, per merchant and/or endpoint, with their attempts. */
  async webhookDeliveries(f: { merchant?: string; endpoint?: string; status?: string; limit?: number; offset?: number }): Promise<DeliveryRow[]> {
    if (!(await this.hasWebhookTables())) return [];
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.merchant && UUID.test(f.merchant)) {
      params.push(f.merchant);
      where.push(`d.merchant_id = $${params.length}`);
    }
    if (f.endpoint && UUID.test(f.endpoint)) {
      params.push(f.endpoint);
      where.push(`d.endpoint_id = $${params.length}`);
    }
    if (f.status) {
      params.push(f.status);
      where.push(`d.status = $${params.length}`);
    }
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const offset = Math.max(f.offset ?? 0, 0);
    return this.dataSource.query(
      `SELECT d.id, d.merchant_id, m.name AS merchant_name, d.endpoint_id, e.url, d.event_type, d.message_id, d.status, d.attempt_count,
              d.next_attempt_at, d.last_status_code, d.last_error, d.replay_of, d.created_at, d.completed_at, p.reference AS payment_reference,
              coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'started_at', a.started_at, 'status_code', a.status_code,
                                                          'latency_ms', a.latency_ms, 'error', a.error) ORDER BY a.attempt)
                          FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempts
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN merchants m ON m.id = d.merchant_id
         LEFT JOIN payments p ON p.id = d.payment_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY d.created_at DESC, d.id DESC LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
  }

  /** True once the webhooks migration has run (the console works without it). */
  async hasWebhookTables(): Promise<boolean> {
    const [{ ok }] = await this.dataSource.query(`SELECT to_regclass('webhook_deliveries') IS NOT NULL AND to_regclass('webhook_attempts') IS NOT NULL AS ok`);
    return ok;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Row of the payments list. */
export interface PaymentListRow {
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

/** Payment detail page/API. */
export interface PaymentDetail {
  payment: PaymentListRow & Record<string, unknown>;
  events: Array<{ id: string; from_status: string | null; to_status: string; reason: string | null; detail: unknown; created_at: Date }>;
  batches: Array<Record<string, unknown>>;
  transactions: Array<Record<string, unknown>>;
  confirmations: number | null;
  headError?: string;
  deliveries: Array<Record<string, unknown>>;
}

/** Row of the batches list. */
export interface BatchListRow {
  id: string;
  network: string;
  asset: string;
  relayer: string;
  status: string;
  kind: string | null;
  payment_count: number;
  gas_used: string | null;
  fee_paid: string | null;
  replacements: number;
  tx_hash: string | null;
  landed: number;
  created_at: Date;
  replace_requested_at: Date | null;
  [k: string]: unknown;
}

/** Batch detail page/API. */
export interface BatchDetail {
  batch: Record<string, any>;
  rows: Array<Record<string, any>>;
  transactions: Array<Record<string, any>>;
  landed: number;
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

/** Row of the merchants list. */
export interface MerchantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  settlement_mode: string;
  confirmed_threshold: string | null;
  max_unsettled_exposure: string | null;
  pay_to: string[];
  key_prefixes: string[];
  endpoints: number;
  payments: number;
  created_at: Date;
}

/** A merchant webhook endpoint (its secret never leaves the database). */
export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  status: string;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  created_at: Date;
}

/** A webhook delivery with its attempts. */
export interface DeliveryRow {
  id: string;
  merchant_id: string;
  merchant_name: string;
  endpoint_id: string;
  url: string;
  event_type: string;
  message_id: string;
  status: string;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  replay_of: string | null;
  payment_reference: string | null;
  created_at: Date;
  attempts: Array<{ attempt: number; started_at: string; status_code: number | null; latency_ms: number; error: string | null }>;
}
