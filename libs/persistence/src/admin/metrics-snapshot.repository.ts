import type { DataSource } from 'typeorm';

/**
 * What the API's `/metrics` reads from Postgres at scrape time (besides lane state, see
 * {@link LaneStatsRepository}): failures by reason, relayer nonces and the webhook backlog. Each read
 * stays on an index or a small table, since it runs at every scrape.
 */
export class MetricsSnapshotRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Payments in `failed` right now, by failure reason. */
  async failedByReason(): Promise<Array<{ reason: string | null; n: number }>> {
    return this.dataSource.query(`SELECT failure_reason AS reason, count(*)::int AS n FROM payments WHERE status = 'failed' GROUP BY 1`);
  }

  /** Every transition to `failed`/`lapsed` ever recorded, by status and reason (from the `payment_status_totals` rollup). */
  async failureEvents(): Promise<Array<{ to_status: string; reason: string | null; n: number }>> {
    return this.dataSource.query(
      `SELECT to_status, nullif(reason, '') AS reason, sum(n)::int AS n FROM payment_status_totals WHERE to_status IN ('failed', 'lapsed') GROUP BY 1, 2`,
    );
  }

  /** Every registered relayer with the next nonce Tollgate will allocate (decimal string). */
  async relayerNonces(): Promise<Array<{ network: string; address: string; next_nonce: string }>> {
    return this.dataSource.query(`SELECT network, address, next_nonce::text FROM relayers`);
  }

  /**
   * Webhook deliveries waiting for a first or further attempt (from the partial index: bounded by the
   * backlog, not by history); null before the webhooks migration.
   */
  async pendingDeliveries(): Promise<number | null> {
    const [{ ok }]: Array<{ ok: boolean }> = await this.dataSource.query(`SELECT to_regclass('webhook_deliveries') IS NOT NULL AS ok`);
    if (!ok) return null;
    const [{ n }]: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`);
    return n;
  }
}
