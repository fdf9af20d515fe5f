import type { DataSource } from 'typeorm';

/** Solana payments a fee payer carries right now: signed (`batched`) or broadcast (`submitted`), not landed. */
export interface ConsoleFeePayerInFlightRow {
  network: string;
  fee_payer: string;
  in_flight: number;
  /** When the oldest of those was signed: how long the fee payer's oldest transaction has been in flight. */
  oldest_signed_at: Date | null;
}

/** A Solana payment's stored transaction (`svm_transactions`), without its wire bytes. */
export interface ConsoleSvmTransactionRow {
  network: string;
  fee_payer: string;
  /** Base58: the transaction's id on chain. */
  signature: string;
  blockhash: string;
  broadcasts: number;
  last_broadcast_at: Date | null;
  created_at: Date;
}

/**
 * Read models of the console's Solana pieces (issue #15): fee payers' in-flight transactions and one
 * payment's stored transaction. Nothing here writes.
 */
export class ConsoleSvmRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * In-flight Solana transactions per (network, fee payer). Starts from the payments still open (the partial
   * index of non-final payments), so it never scans settled history.
   */
  async feePayersInFlight(): Promise<ConsoleFeePayerInFlightRow[]> {
    return this.dataSource.query(
      `SELECT s.network, s.fee_payer, count(*)::int AS in_flight, min(s.created_at) AS oldest_signed_at
         FROM payments p JOIN svm_transactions s ON s.payment_id = p.id
        WHERE p.status IN ('batched', 'submitted') AND p.network LIKE 'solana:%'
        GROUP BY s.network, s.fee_payer`,
    );
  }

  /**
   * The stored transaction of payment `paymentId`, or null (not a Solana payment, not signed yet, or archived).
   * Reads `svm_transactions_all`: the transaction moves to history with its payment.
   */
  async transaction(paymentId: string): Promise<ConsoleSvmTransactionRow | null> {
    const [r] = await this.dataSource.query(
      `SELECT network, fee_payer, signature, blockhash, broadcasts, last_broadcast_at, created_at FROM svm_transactions_all WHERE payment_id = $1`,
      [paymentId],
    );
    return r ?? null;
  }
}
