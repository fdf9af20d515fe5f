import type { DataSource } from 'typeorm';
import { FINAL_STATUSES, UNSETTLED_STATUSES } from '../payments/payment-status';
import { IN_FLIGHT_BATCH_STATUSES } from '../settlement/settlement-batch-status';

/** What Postgres holds for one lane (network, asset) right now; counts are payments, amounts atomic units. */
export interface LaneStatsRow {
  network: string;
  asset: string;
  verified: number;
  queued: number;
  batched: number;
  submitted: number;
  /** Seconds the oldest queued payment has waited; null when none is queued. */
  oldest_age: number | null;
  /** Earliest `expires_at` (validBefore) among queued payments. */
  earliest: Date | null;
  /** Sum of unsettled amounts (decimal string), null when none. */
  exposure: string | null;
  /** From `lanes`: null when no operator ever acted on the lane. */
  paused: boolean | null;
  paused_reason: string | null;
  flush_requested_at: Date | null;
  /** Batches between claim and inclusion. */
  open_batches: number;
}

/**
 * Lane state for the console overview and the lane gauges of `/metrics`: one statement over the partial
 * index of open payments, plus `lanes` and in-flight batches.
 */
export class LaneStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every lane that has open payments, open batches or a row in `lanes` (unordered). */
  async lanes(): Promise<LaneStatsRow[]> {
    return this.dataSource.query(
      `
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
  }
}
