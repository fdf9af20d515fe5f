import { TollgateConfig } from '@tollgate/config';
import { LaneStatsRepository } from '@tollgate/persistence';
import { LaneHealth, laneHealth } from './lane-health';
import { svmLaneHealth } from './svm-lane-health';

/** What one lane (network, asset) holds right now, from Postgres alone. */
export interface LaneStats {
  network: string;
  asset: string;
  /** Token symbol/decimals when the asset is configured (for display). */
  symbol: string | null;
  decimals: number | null;
  verified: number;
  queued: number;
  batched: number;
  submitted: number;
  /** Seconds the oldest queued payment has waited (0 when none). */
  oldestQueuedAgeSeconds: number;
  /** Earliest `validBefore` among queued payments. */
  earliestDeadline: Date | null;
  /** Sum of unsettled amounts (verified, queued, batched, submitted), atomic units. */
  exposure: bigint;
  paused: boolean;
  pausedReason: string | null;
  flushRequestedAt: Date | null;
  /** Batches between claim and inclusion. */
  openBatches: number;
  /** True when the lane's network and asset are served by this deployment. */
  configured: boolean;
  /** Oldest queued payment against the flush deadline (BATCH_MAX_WAIT_MS): running, slow (amber), stalled (red), paused. */
  health: LaneHealth;
  /** `svm` for a Solana lane (network, mint): one transaction per payment, health by blockhash deadline (svm-lane-health.ts). */
  family: 'evm' | 'svm';
}

/**
 * Every lane: the configured (network, asset) pairs (first, in configuration order) plus any lane that
 * has open payments, open batches or a row in `lanes` ({@link LaneStatsRepository.lanes}); used by the
 * console overview and by the lane gauges of `/metrics` (computed at scrape time, so every API process
 * reports the same truth).
 */
export async function laneStats(repository: LaneStatsRepository, config: TollgateConfig): Promise<LaneStats[]> {
  const rows = await repository.lanes();
  const byKey = new Map(rows.map((r) => [`${r.network}|${r.asset}`, r]));
  const out: LaneStats[] = [];
  const seen = new Set<string>();
  const push = (network: string, asset: string) => {
    const key = `${network}|${asset}`;
    if (seen.has(key)) return;
    seen.add(key);
    const r = byKey.get(key);
    const svm = network.startsWith('solana:');
    // Solana mints are base58: case matters, so they are matched as stored.
    const svmNet = svm ? config.solanaNetworks?.find((n) => n.network === network) : undefined;
    const cfgAsset = svm ? svmNet?.assets.find((a) => a.address === asset) : config.networks.find((n) => n.network === network)?.assets.find((a) => a.address.toLowerCase() === asset);
    const paused = r?.paused ?? false;
    const queued = r?.queued ?? 0;
    const oldestQueuedAgeSeconds = Math.max(0, r?.oldest_age ?? 0);
    out.push({
      network,
      asset,
      symbol: cfgAsset?.symbol ?? null,
      decimals: cfgAsset?.decimals ?? null,
      verified: r?.verified ?? 0,
      queued,
      batched: r?.batched ?? 0,
      submitted: r?.submitted ?? 0,
      oldestQueuedAgeSeconds,
      earliestDeadline: r?.earliest ?? null,
      exposure: BigInt(r?.exposure ?? '0'),
      paused,
      pausedReason: r?.paused_reason ?? null,
      flushRequestedAt: r?.flush_requested_at ?? null,
      openBatches: r?.open_batches ?? 0,
      configured: !!cfgAsset,
      health: svm
        ? svmLaneHealth({ queued, oldestQueuedAgeSeconds, earliestDeadline: r?.earliest ?? null }, config.settlement.maxWaitMs, svmNet?.settlementWindowSeconds ?? 0)
        : laneHealth({ paused, queued, oldestQueuedAgeSeconds }, config.settlement.maxWaitMs),
      family: svm ? 'svm' : 'evm',
    });
  };
  for (const n of config.networks) for (const a of n.assets) push(n.network, a.address.toLowerCase());
  for (const n of config.solanaNetworks ?? []) for (const a of n.assets) push(n.network, a.address);
  for (const r of rows) push(r.network, r.asset);
  return out;
}
