import type { DataSource } from 'typeorm';
import { IN_FLIGHT_BATCH_STATUSES } from '../settlement/settlement-batch-status';

/** Activity over one window, as counted in Postgres (amounts atomic units, fees wei, decimal strings). */
export interface ConsoleTotalsRow {
  accepted: number;
  queued: number;
  included: number;
  included_amount: string;
  confirmed: number;
  failed: number;
  lapsed: number;
  batches: number;
  fees: string;
}

/** Transitions to `failed`/`lapsed` of one reason in one hour. */
export interface ConsoleFailureBucketRow {
  reason: string | null;
  to_status: string;
  bucket: Date;
  n: number;
}

/** A relayer the worker registered (`relayers`), with the next nonce Tollgate will allocate. */
export interface ConsoleRelayerRow {
  network: string;
  address: string;
  next_nonce: string;
}

/**
 * Read models of the console overview and failures page: activity totals, failures by reason, relayers
 * and their open batches. Nothing here writes.
 */
export class ConsoleOverviewRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Totals over the last `interval` (a Postgres interval such as `'1 hour'`), by the minute: transitions
   * come from the `payment_activity` rollup (accepted = to `verified`, queued, included with its amount,
   * confirmed, failed, lapsed; the minute the window starts in counts whole), batches and fees from
   * `settlement_batches` over its created_at index.
   */
  async totals(interval: string): Promise<ConsoleTotalsRow> {
    const [r] = await this.dataSource.query(
      `WITH a AS (
         SELECT to_status, sum(n)::int AS n, sum(included_amount) AS amount
           FROM payment_activity WHERE bucket >= date_trunc('minute', now() - $1::interval) GROUP BY to_status
       ), b AS (
         SELECT count(*)::int AS batches, coalesce(sum(fee_paid), 0)::text AS fees FROM settlement_batches WHERE created_at > now() - $1::interval
       )
       SELECT coalesce((SELECT n FROM a WHERE to_status = 'verified'), 0) AS accepted,
              coalesce((SELECT n FROM a WHERE to_status = 'queued'), 0) AS queued,
              coalesce((SELECT n FROM a WHERE to_status = 'included'), 0) AS included,
              coalesce((SELECT amount FROM a WHERE to_status = 'included'), 0)::text AS included_amount,
              coalesce((SELECT n FROM a WHERE to_status = 'confirmed'), 0) AS confirmed,
              coalesce((SELECT n FROM a WHERE to_status = 'failed'), 0) AS failed,
              coalesce((SELECT n FROM a WHERE to_status = 'lapsed'), 0) AS lapsed,
              b.batches, b.fees
         FROM b`,
      [interval],
    );
    return r;
  }

  /** Transitions to `failed`/`lapsed` over the last 7 days, by reason (`unknown` when none) and hour (from the rollup). */
  async failureBuckets(): Promise<ConsoleFailureBucketRow[]> {
    return this.dataSource.query(
      `SELECT coalesce(nullif(reason, ''), 'unknown') AS reason, to_status, date_trunc('hour', bucket) AS bucket, sum(n)::int AS n
         FROM payment_activity
        WHERE to_status IN ('failed', 'lapsed') AND bucket > now() - interval '7 days'
        GROUP BY 1, 2, 3`,
    );
  }

  /** Payments in `failed` right now, by failure reason. */
  async currentlyFailed(): Promise<Array<{ reason: string; n: number }>> {
    return this.dataSource.query(`SELECT failure_reason AS reason, count(*)::int AS n FROM payments WHERE status = 'failed' GROUP BY 1`);
  }

  /** Every registered relayer, oldest first (addresses lower-case, as stored). */
  async relayers(): Promise<ConsoleRelayerRow[]> {
    return this.dataSource.query(`SELECT network, address, next_nonce::text FROM relayers ORDER BY created_at, address`);
  }

  /** Batches between claim and inclusion, per relayer. */
  async openBatchesByRelayer(): Promise<Array<{ network: string; relayer: string; n: number }>> {
    return this.dataSource.query(
      `SELECT network, relayer, count(*)::int AS n FROM settlement_batches WHERE status = ANY($1::text[]) GROUP BY network, relayer`,
      [IN_FLIGHT_BATCH_STATUSES],
    );
  }
}
