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

  /** Totals over the last `interval` (a Postgres interval such as `'1 hour'`). */
  async totals(interval: string): Promise<ConsoleTotalsRow> {
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
    return r;
  }

  /** Transitions to `failed`/`lapsed` over the last 7 days, by reason (`unknown` when none) and hour. */
  async failureBuckets(): Promise<ConsoleFailureBucketRow[]> {
    return this.dataSource.query(
      `SELECT coalesce(reason, 'unknown') AS reason, to_status, date_trunc('hour', created_at) AS bucket, count(*)::int AS n
         FROM payment_events
        WHERE to_status IN ('failed', 'lapsed') AND created_at > now() - interval '7 days'
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
