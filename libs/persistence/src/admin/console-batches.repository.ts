import type { DataSource } from 'typeorm';

/** Row of the batches list (gas and fees as decimal strings; `landed` = its payments now included or confirmed). */
export interface ConsoleBatchRow {
  id: string;
  network: string;
  asset: string;
  relayer: string;
  status: string;
  kind: string | null;
  payment_count: number;
  gas_used: string | null;
  fee_paid: string | null;
  replacements: number;
  tx_hash: string | null;
  landed: number;
  created_at: Date;
  replace_requested_at: Date | null;
  [k: string]: unknown;
}

/** One batch with every column the batch page shows (numbers as decimal strings). */
export interface ConsoleBatchDetailRow {
  id: string;
  status: string;
  gas_used: string | null;
  [k: string]: unknown;
}

/** A transaction broadcast for a batch (fees in wei, decimal strings). */
export interface ConsoleBatchTransactionRow {
  tx_hash: string;
  nonce: string;
  purpose: string;
  status: string;
  [k: string]: unknown;
}

/** A payment ever claimed into a batch: whether it is still in it, and the transition that took it out. */
export interface ConsoleBatchPaymentRow {
  id: string;
  reference: string;
  status: string;
  payer: string;
  amount: string;
  failure_reason: string | null;
  tx_hash: string | null;
  log_index: number | null;
  still_in_batch: boolean;
  left_with: { to_status: string; reason: string | null; created_at: string } | null;
  [k: string]: unknown;
}

/** Read models of the console's batches list and batch page. Nothing here writes. */
export class ConsoleBatchesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest-first page of batches, optionally of one status and network. `limit`/`offset` are the caller's bounds. */
  async list(f: { status?: string; network?: string }, limit: number, offset: number): Promise<ConsoleBatchRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.status) {
      params.push(f.status);
      where.push(`b.status = $${params.length}`);
    }
    if (f.network) {
      params.push(f.network);
      where.push(`b.network = $${params.length}`);
    }
    return this.dataSource.query(
      `SELECT b.id, b.network, b.asset, b.relayer, b.status, b.kind, b.payment_count, b.nonce::text, b.gas_used::text,
              b.fee_paid::text, b.replacements, b.tx_hash, b.block_number::text, b.failure_reason, b.created_at, b.submitted_at,
              b.included_at, b.confirmed_at, b.replace_requested_at,
              (SELECT count(*)::int FROM payments_all p WHERE p.batch_id = b.id AND p.status IN ('included', 'confirmed')) AS landed
         FROM settlement_batches b ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY b.created_at DESC LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
  }

  /** One batch by id (UUID text), every column the batch page shows; undefined when there is none. */
  async find(id: string): Promise<ConsoleBatchDetailRow | undefined> {
    const [batch] = await this.dataSource.query(
      `SELECT b.id, b.network, b.asset, b.relayer, b.status, b.kind, b.payment_count, b.nonce::text, b.gas_limit::text, b.gas_used::text,
              b.effective_gas_price::text, b.fee_paid::text, b.tx_hash, b.block_number::text, b.block_hash, b.replacements, b.failure_reason,
              b.created_at, b.submitted_at, b.included_at, b.confirmed_at, b.updated_at, b.replace_requested_at
         FROM settlement_batches b WHERE b.id = $1`,
      [id],
    );
    return batch;
  }

  /**
   * Every payment ever claimed into the batch (those that left it too), by deadline: those its `→ batched` step row
   * lists (or, for a batch built before migration 1764020000000, with a `→ batched` row of their own naming it).
   */
  async payments(id: string): Promise<ConsoleBatchPaymentRow[]> {
    return this.dataSource.query(
      `SELECT p.id, p.reference, p.status, p.payer, p.amount::text, p.failure_reason, p.tx_hash, p.log_index, p.batch_id IS NOT DISTINCT FROM $1::uuid AS still_in_batch,
              (SELECT row_to_json(x) FROM (
                 SELECT e2.to_status, e2.reason, e2.created_at FROM payment_events e2
                  WHERE e2.payment_id = p.id AND e2.id > e.id AND e2.from_status IN ('batched', 'submitted', 'included')
                  ORDER BY e2.id LIMIT 1) x) AS left_with
         FROM payment_events e
        CROSS JOIN LATERAL unnest(coalesce(e.payment_ids, ARRAY[e.payment_id])) AS claimed(payment_id)
         JOIN payments_all p ON p.id = claimed.payment_id
        WHERE e.to_status = 'batched' AND e.detail->>'batchId' = $1::text
        ORDER BY p.expires_at, p.id`,
      [id],
    );
  }

  /** Every transaction broadcast for the batch (replacements included), oldest first. */
  async transactions(id: string): Promise<ConsoleBatchTransactionRow[]> {
    return this.dataSource.query(
      `SELECT tx_hash, nonce::text, purpose, status, gas_limit::text, max_fee_per_gas::text, max_priority_fee_per_gas::text, created_at, broadcast_at
         FROM relayer_transactions WHERE batch_id = $1 ORDER BY created_at`,
      [id],
    );
  }
}
