import { DataSource, EntityManager } from 'typeorm';
import { FINAL_STATUSES, PAYMENT_STATUSES, PaymentStatus } from '../payments/payment-status';

/** A payment as a batch carries it (amounts in atomic units and times in unix seconds, as decimal text). */
export interface BatchPaymentRow {
  id: string;
  payer: string;
  pay_to: string;
  amount: string;
  valid_after: string;
  valid_before: string;
  nonce: string;
  signature: string;
  attempts: number;
}

/**
 * Payments a stored settle transaction of a batch may still move: past `verified` and not final. `included`
 * too, because the tracker may not have noticed yet that an inclusion was reorganised away; the chain's
 * `authorizationState` decides, so a row really settled is skipped.
 */
export const BATCH_HISTORY_LIVE_STATUSES: readonly PaymentStatus[] = PAYMENT_STATUSES.filter((s) => s !== 'verified' && !FINAL_STATUSES.includes(s));

/**
 * The settlement pipeline's reads of `payments` by batch. Payment status changes go through
 * PaymentLedger (the payment state machine's one writer); nothing here writes a status.
 */
export class BatchPaymentsRepository {
  constructor(private readonly db: DataSource) {}

  /** The batch's payments in `status`, earliest deadline first. */
  rowsOf(batchId: string, status: PaymentStatus): Promise<BatchPaymentRow[]> {
    return this.db.query(
      `SELECT id, payer, pay_to, amount::text, valid_after::text, valid_before::text, nonce, signature, attempts
         FROM payments WHERE batch_id = $1 AND status = $2 ORDER BY expires_at, id`,
      [batchId, status],
    );
  }

  /** Ids of the batch's `included` payments. */
  async includedIds(m: EntityManager, batchId: string): Promise<string[]> {
    const ids: Array<{ id: string }> = await m.query(`SELECT id FROM payments WHERE batch_id = $1 AND status = 'included'`, [batchId]);
    return ids.map((r) => r.id);
  }

  /** The batch's payments not yet on chain (`batched` or `submitted`), with their status. */
  unsent(m: EntityManager, batchId: string): Promise<Array<{ id: string; status: Extract<PaymentStatus, 'batched' | 'submitted'> }>> {
    return m.query(`SELECT id, status FROM payments WHERE batch_id = $1 AND status IN ('batched', 'submitted')`, [batchId]);
  }

  /** Payments that were ever claimed into the batch (`tollgate_batch_payments`) and are `queued` again now. */
  queuedFromBatch(batchId: string): Promise<Array<{ id: string; payer: string; nonce: string }>> {
    return this.db.query(
      `SELECT p.id, p.payer, p.nonce FROM payments p
          WHERE p.status = 'queued' AND p.id IN (SELECT tollgate_batch_payments($1::uuid))`,
      [batchId],
    );
  }

  /**
   * Authorizations of payments ever claimed into the batch that are in {@link BATCH_HISTORY_LIVE_STATUSES}
   * (`valid_before` in unix seconds, as decimal text).
   */
  liveFromBatch(batchId: string): Promise<Array<{ payer: string; nonce: string; asset: string; valid_before: string }>> {
    return this.db.query(
      `SELECT p.payer, p.nonce, p.asset, p.valid_before::text FROM payments p
        WHERE p.status = ANY($2::text[])
          AND p.id IN (SELECT tollgate_batch_payments($1::uuid))`,
      [batchId, BATCH_HISTORY_LIVE_STATUSES],
    );
  }
}
