import type { DataSource } from 'typeorm';

/** `payments` rows of the references in `$1` (text[]), through the primary key (payment-reference.ts). */
const REFERENCES_SQL = `id IN (SELECT tollgate_payment_id(r) FROM unnest($1::text[]) r) AND reference = ANY($1)`;

/** A demo merchant's payment as the demo summary reads it. */
export interface DemoPaymentRow {
  reference: string;
  /** CAIP-2. */
  network: string;
  status: string;
  /** The settling transaction once included: an EVM batch's hash, or a Solana payment's own signature. */
  tx_hash: string | null;
  failure_reason: string | null;
  queued_at: Date | null;
  included_at: Date | null;
}

/** A batch on chain that carried a demo merchant's payments; `landed` counts every payment it settled (decimal string). */
export interface DemoBatchRow {
  tx_hash: string;
  gas_used: string;
  landed: string;
}

/**
 * What `npm run demo` reads back from Postgres (payments and batches are the truth): progress, the wait
 * for final statuses and webhooks, and the summary. Reads only.
 */
export class DemoReportRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The merchant's payments by status, and how many distinct transactions carried them. */
  async progress(merchantId: string): Promise<{ statuses: Array<{ status: string; n: string }>; transactions: number }> {
    const statuses: Array<{ status: string; n: string }> = await this.dataSource.query(
      `SELECT status, count(*)::text AS n FROM payments WHERE merchant_id = $1 GROUP BY status`,
      [merchantId],
    );
    const batches = await this.dataSource.query(`SELECT count(DISTINCT tx_hash)::text AS n FROM payments WHERE merchant_id = $1 AND tx_hash IS NOT NULL`, [merchantId]);
    return { statuses, transactions: Number(batches[0].n) };
  }

  /** How many of `references` are not yet in one of `finalStatuses`. */
  async notFinal(references: readonly string[], finalStatuses: readonly string[]): Promise<number> {
    const [{ pending }]: Array<{ pending: string }> = await this.dataSource.query(
      `SELECT count(*)::text AS pending FROM payments WHERE ${REFERENCES_SQL} AND status <> ALL($2)`,
      [references, finalStatuses],
    );
    return Number(pending);
  }

  /** The references among `references` whose payment is `confirmed`. */
  async confirmedReferences(references: readonly string[]): Promise<string[]> {
    const rows: Array<{ reference: string }> = await this.dataSource.query(`SELECT reference FROM payments WHERE ${REFERENCES_SQL} AND status = 'confirmed'`, [references]);
    return rows.map((r) => r.reference);
  }

  /** Deliveries to the endpoint still waiting for their first attempt. */
  async deliveriesBeforeFirstAttempt(endpointId: string): Promise<number> {
    const [{ waiting }]: Array<{ waiting: string }> = await this.dataSource.query(
      `SELECT count(*)::text AS waiting FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' AND attempt_count = 0`,
      [endpointId],
    );
    return Number(waiting);
  }

  /** Every payment of the merchant. */
  async payments(merchantId: string): Promise<DemoPaymentRow[]> {
    return this.dataSource.query(
      `SELECT reference, network, status, tx_hash, failure_reason, queued_at, included_at FROM payments WHERE merchant_id = $1`,
      [merchantId],
    );
  }

  /** The included EVM batches that carried the merchant's payments, in inclusion order (Solana payments have none). */
  async batches(merchantId: string): Promise<DemoBatchRow[]> {
    return this.dataSource.query(
      `SELECT b.tx_hash, b.gas_used::text AS gas_used,
            (SELECT count(*) FROM payments p WHERE p.batch_id = b.id AND p.status IN ('included', 'confirmed'))::text AS landed
       FROM settlement_batches b
      WHERE b.id IN (SELECT batch_id FROM payments WHERE merchant_id = $1 AND batch_id IS NOT NULL)
        AND b.tx_hash IS NOT NULL AND b.gas_used IS NOT NULL
      ORDER BY b.included_at, b.created_at`,
      [merchantId],
    );
  }
}
