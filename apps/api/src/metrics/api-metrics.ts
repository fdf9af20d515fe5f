import { Inject, Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { LaneStatsRepository, MetricsSnapshotRepository, WorkerLiveness } from '@tollgate/persistence';
import { isReasonCode } from '@tollgate/protocol';
import { laneStallLevel } from '../admin/lane-health';
import { LaneStats, laneStats } from '../admin/lane-stats';
import { SettlementSignals } from '../health/settlement-signals';

/** Label value for a reason: a known reason code or `other`, so label cardinality stays bounded. */
export function reasonLabel(reason: unknown): string {
  if (reason === undefined || reason === null || reason === '') return 'none';
  return isReasonCode(reason) ? reason : 'other';
}

/** State read from Postgres/RPC once per scrape and shared by every gauge of that scrape. */
interface Snapshot {
  lanes: LaneStats[];
  failed: Array<{ reason: string | null; n: number }>;
  failureEvents: Array<{ to_status: string; reason: string | null; n: number }>;
  relayers: Array<{ network: string; address: string; balance: bigint | null; nextNonce: string | null }>;
  /** Webhook deliveries still pending (from the partial index: bounded by the backlog, not by history). */
  pendingDeliveries: number | null;
  /** Worker heartbeats (null when the read failed). */
  workers: WorkerLiveness | null;
}

/** Gauges collected outside {@link ApiMetrics.metrics} (e.g. `registry.getMetricsAsJSON`) share a read this long. */
const SNAPSHOT_TTL_MS = 1_000;
const RPC_TIMEOUT_MS = 2_000;

/**
 * Prometheus metrics of the API process (`GET /metrics`): verify/settle counts and latencies by outcome
 * and reason, observed in-process; and the settlement state — lane depth, oldest age, deadline, exposure,
 * paused; failures by reason; relayer balances and nonces; pending webhook deliveries — computed from
 * Postgres (and the RPC for balances) at scrape time, so every API replica reports the same truth and a
 * restart loses nothing. The worker serves its event histograms on its own port.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');
  private snapshotAt = 0;
  private snapshotPromise?: Promise<Snapshot>;

  readonly verifyTotal = new Counter({
    name: 'tollgate_verify_total',
    help: 'POST /verify answers by outcome (valid, invalid, malformed, error) and reason code',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });
  readonly verifyDuration = new Histogram({
    name: 'tollgate_verify_duration_seconds',
    help: 'POST /verify latency by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly settleTotal = new Counter({
    name: 'tollgate_settle_total',
    help: 'POST /settle answers by outcome (queued, settled, failed, malformed, error), mode and reason code',
    labelNames: ['outcome', 'mode', 'reason'] as const,
    registers: [this.registry],
  });
  readonly settleOnRecentVerify = new Counter({
    name: 'tollgate_settle_on_recent_verify_total',
    help: 'Settles queued on the strength of a verify less than SETTLE_REVERIFY_AFTER_SECONDS old (no chain re-check)',
    registers: [this.registry],
  });
  readonly settleDuration = new Histogram({
    name: 'tollgate_settle_duration_seconds',
    help: 'POST /settle latency by outcome and mode (confirmed mode includes the wait for inclusion)',
    labelNames: ['outcome', 'mode'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly chains: ChainClients,
    private readonly lanes: LaneStatsRepository,
    private readonly reads: MetricsSnapshotRepository,
    private readonly signals: SettlementSignals,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_api_' });
    const self = this;
    const laneGauge = (name: string, help: string, value: (l: LaneStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['network', 'asset'] as const,
        registers: [this.registry],
        async collect() {
          const s = await self.snapshot();
          this.reset();
          for (const l of s.lanes) this.set({ network: l.network, asset: l.asset }, value(l));
        },
      });
    laneGauge('tollgate_lane_queued_payments', 'Payments waiting in the lane (status queued)', (l) => l.queued);
    laneGauge('tollgate_lane_in_flight_payments', 'Payments of the lane in a batch not yet included (batched + submitted)', (l) => l.batched + l.submitted);
    laneGauge('tollgate_lane_oldest_queued_age_seconds', 'How long the oldest queued payment of the lane has waited (0 when empty)', (l) => l.oldestQueuedAgeSeconds);
    laneGauge('tollgate_lane_earliest_deadline_seconds', 'Seconds until the earliest validBefore among queued payments (0 when empty)', (l) =>
      l.earliestDeadline ? Math.max(0, (l.earliestDeadline.getTime() - Date.now()) / 1000) : 0,
    );
    laneGauge('tollgate_lane_exposure_atomic', 'Unsettled accepted amount of the lane in atomic units (verified+queued+batched+submitted)', (l) => Number(l.exposure));
    laneGauge('tollgate_lane_paused', '1 when an operator paused the lane', (l) => (l.paused ? 1 : 0));
    laneGauge('tollgate_lane_open_batches', 'Batches of the lane between claim and inclusion', (l) => l.openBatches);
    laneGauge('tollgate_lane_stall_level', 'Oldest queued payment against BATCH_MAX_WAIT_MS: 0 running or paused, 1 slow (amber on the console), 2 stalled (red)', (l) =>
      laneStallLevel(l.health),
    );
    new Gauge({
      name: 'tollgate_worker_last_seen_seconds',
      help: 'Seconds since the freshest worker heartbeat in Postgres (+Inf when no worker ever beat)',
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        // An unlabelled gauge always reports a value: "never" is infinitely long ago, not 0 s.
        if (s.workers) this.set(s.workers.lastSeenAgeSeconds ?? Infinity);
      },
    });
    new Gauge({
      name: 'tollgate_workers_live',
      help: 'Workers whose heartbeat is at most WORKER_STALE_AFTER_SECONDS old (0: nothing is settling)',
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        if (s.workers) this.set(s.workers.live);
      },
    });
    new Gauge({
      name: 'tollgate_payments_failed',
      help: 'Payments currently in status failed, by failure reason (operator retries lower it)',
      labelNames: ['reason'] as const,
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        for (const r of s.failed) this.set({ reason: reasonLabel(r.reason) }, r.n);
      },
    });
    new Counter({
      name: 'tollgate_payment_failures_total',
      help: 'Transitions to failed or lapsed since the database began, by status and reason (from the append-only event history)',
      labelNames: ['status', 'reason'] as const,
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        for (const r of s.failureEvents) this.inc({ status: r.to_status, reason: reasonLabel(r.reason) }, r.n);
      },
    });
    new Gauge({
      name: 'tollgate_relayer_balance_wei',
      help: 'Native balance of each relayer in wei (absent when the RPC did not answer)',
      labelNames: ['network', 'relayer'] as const,
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        for (const r of s.relayers) if (r.balance !== null) this.set({ network: r.network, relayer: r.address }, Number(r.balance));
      },
    });
    new Gauge({
      name: 'tollgate_relayer_low_balance_threshold_wei',
      help: 'RELAYER_LOW_BALANCE_WEI(_<chainId>) per network: a relayer below it is amber on the console (0: no threshold)',
      labelNames: ['network'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [network, wei] of Object.entries(self.config.alerts.relayerLowBalanceWei)) this.set({ network }, Number(wei));
      },
    });
    new Gauge({
      name: 'tollgate_fee_payer_min_lamports',
      help: 'SOLANA_FEE_PAYER_MIN_LAMPORTS_<K> per Solana network: below it the worker signs nothing new with a fee payer (compare the worker\'s tollgate_fee_payer_balance_lamports)',
      labelNames: ['network'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const n of self.config.solanaNetworks ?? []) this.set({ network: n.network }, Number(n.feePayerMinLamports));
      },
    });
    new Gauge({
      name: 'tollgate_relayer_next_nonce',
      help: 'Next nonce Tollgate will allocate for each relayer',
      labelNames: ['network', 'relayer'] as const,
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        for (const r of s.relayers) if (r.nextNonce !== null) this.set({ network: r.network, relayer: r.address }, Number(r.nextNonce));
      },
    });
    // Finished deliveries are counted by the webhook worker as they finish (tollgate_webhook_deliveries_total):
    // counting them here would scan a table that grows by one row per event per endpoint, at every scrape.
    new Gauge({
      name: 'tollgate_webhook_deliveries_pending',
      help: 'Webhook deliveries waiting for a first or further attempt',
      registers: [this.registry],
      async collect() {
        const s = await self.snapshot();
        this.reset();
        if (s.pendingDeliveries !== null) this.set(s.pendingDeliveries);
      },
    });
  }

  /** Starts timing a verify; call the result with the answer. */
  startVerify(): (outcome: string, reason?: unknown) => void {
    const end = this.verifyDuration.startTimer();
    return (outcome, reason) => {
      end({ outcome });
      this.verifyTotal.inc({ outcome, reason: reasonLabel(reason) });
    };
  }

  /** Starts timing a settle; call the result with the answer. */
  startSettle(): (outcome: string, mode: string, reason?: unknown) => void {
    const end = this.settleDuration.startTimer();
    return (outcome, mode, reason) => {
      end({ outcome, mode });
      this.settleTotal.inc({ outcome, mode, reason: reasonLabel(reason) });
    };
  }

  /** Text exposition of every metric. */
  async metrics(): Promise<string> {
    // One fresh read per scrape, shared by every gauge of that scrape.
    this.snapshotPromise = undefined;
    return this.registry.metrics();
  }

  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (!this.snapshotPromise || now - this.snapshotAt > SNAPSHOT_TTL_MS) {
      this.snapshotAt = now;
      this.snapshotPromise = this.readSnapshot().catch((e: Error) => {
        this.logger.warn(`metrics snapshot failed: ${e.message}`);
        return { lanes: [], failed: [], failureEvents: [], relayers: [], pendingDeliveries: null, workers: null };
      });
    }
    return this.snapshotPromise;
  }

  private async readSnapshot(): Promise<Snapshot> {
    const [lanes, failed, failureEvents, nonces, pendingDeliveries, workers] = await Promise.all([
      laneStats(this.lanes, this.config),
      this.reads.failedByReason(),
      this.reads.failureEvents(),
      this.reads.relayerNonces(),
      this.reads.pendingDeliveries(),
      this.signals.workers().catch(() => null),
    ]);
    // The relayers the worker registered (the API holds no keys), on networks this process serves.
    const served = nonces.filter((r) => this.chains.has(r.network));
    const relayers = await Promise.all(
      served.map(async (r) => {
        let balance: bigint | null = null;
        try {
          balance = await Promise.race([
            this.chains.get(r.network).getBalance({ address: r.address as `0x${string}` }),
            new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), RPC_TIMEOUT_MS).unref()),
          ]);
        } catch {
          balance = null;
        }
        return { network: r.network, address: r.address, balance, nextNonce: r.next_nonce };
      }),
    );
    return { lanes, failed, failureEvents, relayers, pendingDeliveries, workers };
  }
}
