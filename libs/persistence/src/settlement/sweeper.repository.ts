import { DataSource } from 'typeorm';
import { COMPACT_EXPOSURE_SQL } from '../payments/payment-exposure.sql';
import { SettlementBatchStatus, TRACKED_BATCH_STATUSES } from './settlement-batch-status';

/**
 * What the sweeper re-derives from Postgres: verified payments past their deadline, and batches a worker
 * should be following but has not touched for a while (their job was lost).
 */
export class SweeperRepository {
  constructor(private readonly db: DataSource) {}

  /** Up to 1000 ids of `verified` payments whose `validBefore` has passed. */
  async lapsingVerified(): Promise<string[]> {
    const lapsing: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM payments WHERE status = 'verified' AND expires_at < now() LIMIT 1000`,
    );
    return lapsing.map((r) => r.id);
  }

  /**
   * Folds the partial rows of `payment_exposure` (see payment-exposure.sql.ts): up to 1,000 buckets per call,
   * never waiting on a row a verify or a worker holds, and never changing any total.
   */
  async compactExposure(): Promise<{ folded: number; deleted: number }> {
    const [row]: Array<{ folded: number; deleted: number }> = await this.db.query(COMPACT_EXPOSURE_SQL);
    return row;
  }

  /** Batches in a tracked status not updated for `staleMs` milliseconds. */
  staleTrackedBatches(staleMs: number): Promise<Array<{ id: string; status: SettlementBatchStatus }>> {
    return this.db.query(
      `SELECT id, status FROM settlement_batches
        WHERE status = ANY($2::text[]) AND updated_at < now() - make_interval(secs => $1)`,
      [staleMs / 1000, TRACKED_BATCH_STATUSES],
    );
  }
}
