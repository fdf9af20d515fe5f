import type { DataSource } from 'typeorm';

/** A relayer's nonce gap as the last nonce-gap pass recorded it. */
export interface RelayerNonceGapRow {
  network: string;
  address: string;
  /** Nonces the chain account is behind the relayer's lowest live transaction. */
  nonce_gap: number;
}

/** The columns of a settlement batch the worker's metrics observe around a job. */
export interface BatchMetricsRow {
  /** CAIP-2 network of the batch (the histograms' `network` label). */
  network: string;
  status: string;
  payment_count: number;
  /** Gas used by the included transaction (decimal string), null until included. */
  gas_used: string | null;
}

/**
 * Every query of the worker's metrics and readiness: reads only, one statement each. Seconds are floats
 * (Postgres `extract(epoch …)`), null when a timestamp is missing.
 */
export class WorkerMetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Answers when Postgres does; throws (connection error) when it does not. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** Relayers the nonce-gap pass has looked at, with the gap it saw. */
  relayerNonceGaps(): Promise<RelayerNonceGapRow[]> {
    return this.dataSource.query(`SELECT network, address, nonce_gap FROM relayers WHERE nonce_checked_at IS NOT NULL`);
  }

  /** A batch's status, null when it does not exist. */
  async batchStatus(batchId: string): Promise<string | null> {
    const [row] = await this.dataSource.query(`SELECT status FROM settlement_batches WHERE id = $1`, [batchId]);
    return (row?.status as string | undefined) ?? null;
  }

  /** A batch's status, size and gas used, undefined when it does not exist. */
  async batch(batchId: string): Promise<BatchMetricsRow | undefined> {
    const [row] = await this.dataSource.query(`SELECT network, status, payment_count, gas_used::text FROM settlement_batches WHERE id = $1`, [batchId]);
    return row as BatchMetricsRow | undefined;
  }

  /** Queued→included seconds of each payment of the batch that landed (included or confirmed). */
  async queuedToIncludedSeconds(batchId: string): Promise<Array<number | null>> {
    const rows: Array<{ secs: number | null }> = await this.dataSource.query(
      `SELECT extract(epoch FROM included_at - queued_at)::float8 AS secs FROM payments
        WHERE batch_id = $1 AND status IN ('included', 'confirmed') AND queued_at IS NOT NULL`,
      [batchId],
    );
    return rows.map((r) => r.secs);
  }

  /** Queued→confirmed seconds of each confirmed payment of the batch. */
  async queuedToConfirmedSeconds(batchId: string): Promise<Array<number | null>> {
    const rows: Array<{ secs: number | null }> = await this.dataSource.query(
      `SELECT extract(epoch FROM confirmed_at - queued_at)::float8 AS secs FROM payments
        WHERE batch_id = $1 AND status = 'confirmed' AND queued_at IS NOT NULL`,
      [batchId],
    );
    return rows.map((r) => r.secs);
  }
}
