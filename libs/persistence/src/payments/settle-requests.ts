import { DataSource, EntityManager } from 'typeorm';

/** An idempotency record: the settle a merchant made under a payment-identifier. */
export interface SettleRequestRecord {
  /** SHA-256 hex of the canonical payload + requirements. */
  request_hash: string;
  payment_id: string;
}

/**
 * Idempotency records of `/settle` (the x402 payment-identifier extension): one per merchant and
 * identifier, written in the transaction that queues the payment.
 */
export class SettleRequests {
  constructor(private readonly dataSource: DataSource) {}

  /** The record of `paymentIdentifier` for this merchant, if any. */
  async find(merchantId: string, paymentIdentifier: string): Promise<SettleRequestRecord | undefined> {
    const rows: SettleRequestRecord[] = await this.dataSource.query(
      `SELECT request_hash, payment_id FROM settle_requests WHERE merchant_id = $1 AND payment_identifier = $2`,
      [merchantId, paymentIdentifier],
    );
    return rows[0];
  }

  /**
   * Records the settle inside the caller's transaction `m`; a concurrent record of the same identifier wins
   * (nothing is written).
   * @param response the answer given, JSON-serializable.
   */
  async record(m: EntityManager, r: { merchantId: string; paymentIdentifier: string; requestHash: string; paymentId: string; response: unknown }): Promise<void> {
    await m.query(
      `INSERT INTO settle_requests (merchant_id, payment_identifier, request_hash, payment_id, response)
       VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING`,
      [r.merchantId, r.paymentIdentifier, r.requestHash, r.paymentId, JSON.stringify(r.response)],
    );
  }
}
