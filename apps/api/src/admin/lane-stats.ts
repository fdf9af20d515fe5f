import { DataSource } from 'typeorm';
import { TollgateConfig } from '@tollgate/config';
import { FINAL_STATUSES, IN_FLIGHT_BATCH_STATUSES, UNSETTLED_STATUSES } from '@tollgate/persistence';

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
}

/**
 * Every lane: the configured (network, asset) pairs plus any lane that has open payments or a row in
 * `lanes`. One statement over the partial index of open payments; used by the console overview and by the
 * lane gauges of `/metrics` (computed at scrape time, so every API process reports the same truth).
 */
export async function laneStats(dataSource: DataSource, config: TollgateConfig): Promise<LaneStats[]> {
  const rows: Array<{
    network: string;
    asset: string;
    verified: number;
    queued: number;
    batched: number;
    submitted: number;
    oldest_age: number | null;
    earliest: Date | null;
    exposure: string | null;
    paused: boolean | null;
    paused_reason: string | null;
    flush_requested_at: Date | null;
    open_batches: number;
  }> = await dataSource.query(`
    WITH open AS (
      SELECT network, asset,
             count(*) FILTER (WHERE status = 'verified')::int AS verified,
             count(*) FILTER (WHERE status = 'queued')::int AS queued,
             count(*) FILTER (WHERE status = 'batched')::int AS batched,
             count(*) FILTER (WHERE status = 'submitted')::int AS submitted,
             extract(epoch FROM now() - min(queued_at) FILTER (WHERE status = 'queued'))::float8 AS oldest_age,
             min(expires_at) FILTER (WHERE status = 'queued') AS earliest,
             sum(amount) FILTER (WHERE status = ANY($1::text[]))::text AS exposure
        FROM payments WHERE NOT (status = ANY($2::text[]))
       GROUP BY network, asset
    ), batches AS (
      SELECT network, asset, count(*)::int AS open_batches FROM settlement_batches
       WHERE status = ANY($3::text[]) GROUP BY network, asset
    ), keys AS (
      SELECT network, asset FROM open UNION SELECT network, asset FROM lanes UNION SELECT network, asset FROM batches
    )
    SELECT k.network, k.asset, coalesce(o.verified, 0) AS verified, coalesce(o.queued, 0) AS queued,
           coalesce(o.batched, 0) AS batched, coalesce(o.submitted, 0) AS submitted, o.oldest_age, o.earliest, o.exposure,
           l.paused, l.paused_reason, l.flush_requested_at, coalesce(b.open_batches, 0) AS open_batches
      FROM keys k
      LEFT JOIN open o ON o.network = k.network AND o.asset = k.asset
      LEFT JOIN lanes l ON l.network = k.network AND l.asset = k.asset
      LEFT JOIN batches b ON b.network = k.network AND b.asset = k.asset`,
    [UNSETTLED_STATUSES, FINAL_STATUSES, IN_FLIGHT_BATCH_STATUSES],
  );
  const byKey = new Map(rows.map((r) => [`${r.network}|${r.asset}`, r]));
  const out: LaneStats[] = [];
  const seen = new Set<string>();
  const push = (network: string, asset: string) => {
    const key = `${network}|${asset}`;
    if (seen.has(key)) return;
    seen.add(key);
    const r = byKey.get(key);
    const cfgAsset = config.networks.find((n) => n.network === network)?.assets.find((a) => a.address.toLowerCase() === asset);
    out.push({
      network,
      asset,
      symbol: cfgAsset?.symbol ?? null,
      decimals: cfgAsset?.decimals ?? null,
      verified: r?.verified ?? 0,
      queued: r?.queued ?? 0,
      batched: r?.batched ?? 0,
      submitted: r?.submitted ?? 0,
      oldestQueuedAgeSeconds: Math.max(0, r?.oldest_age ?? 0),
      earliestDeadline: r?.earliest ?? null,
      exposure: BigInt(r?.exposure ?? '0'),
      paused: r?.paused ?? false,
      pausedReason: r?.paused_reason ?? null,
      flushRequestedAt: r?.flush_requested_at ?? null,
      openBatches: r?.open_batches ?? 0,
      configured: !!cfgAsset,
    });
  };
  for (const n of config.networks) for (const a of n.assets) push(n.network, a.address.toLowerCase());
  for (const r of rows) push(r.network, r.asset);
  return out;
}
