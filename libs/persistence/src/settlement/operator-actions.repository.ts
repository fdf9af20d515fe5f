import { DataSource, EntityManager } from 'typeorm';
import { OPERATOR_ACTION_COLUMNS, OperatorActionRow, OperatorActionStatus } from '../admin/admin-actions';
import { PaymentStatus, UNSETTLED_STATUSES } from '../payments/payment-status';
import { referenceMatchSql } from '../payments/payment-reference';
import { exposureHorizonSql } from '../payments/payment-exposure.sql';

/** A payment as an operator action reads it (amounts in atomic units, `valid_before` unix seconds, as text). */
export interface OperatorPaymentRow {
  id: string;
  reference: string;
  status: PaymentStatus;
  network: string;
  asset: string;
  payer: string;
  amount: string;
  valid_before: string;
  nonce: string;
  failure_reason: string | null;
  failure_message: string | null;
  batch_id: string | null;
  tx_hash: string | null;
  settlement_mode: 'deferred' | 'confirmed' | null;
  queued_at: Date | null;
}

/**
 * The worker's side of `admin_actions` (the API inserts requests; the worker writes outcomes) and the
 * payment reads an action re-checks. An outcome is written only while the request is still `requested`.
 */
export class OperatorActionsRepository {
  constructor(private readonly db: DataSource) {}

  /** The request, or undefined. */
  async find(id: string): Promise<OperatorActionRow | undefined> {
    const [a]: OperatorActionRow[] = await this.db.query(`SELECT ${OPERATOR_ACTION_COLUMNS} FROM admin_actions WHERE id = $1`, [id]);
    return a;
  }

  /** Locks the request row until `m` ends; false when another run already gave it an outcome. */
  async claim(m: EntityManager, id: string): Promise<boolean> {
    const [r]: Array<{ status: OperatorActionStatus }> = await m.query(`SELECT status FROM admin_actions WHERE id = $1 FOR UPDATE`, [id]);
    return r?.status === 'requested';
  }

  /** Records a refusal (`refused` / `not_found`) with its reason; the caller holds the claim. */
  async refuse(m: EntityManager, id: string, status: 'refused' | 'not_found', message: string): Promise<void> {
    await m.query(`UPDATE admin_actions SET status = $2, message = $3, finished_at = now() WHERE id = $1`, [id, status, message]);
  }

  /** Records success with the before/after pictures (JSON); the caller holds the claim. */
  async succeed(m: EntityManager, id: string, message: string, before: unknown, after: unknown): Promise<void> {
    await m.query(`UPDATE admin_actions SET status = 'succeeded', message = $2, before = $3::jsonb, after = $4::jsonb, finished_at = now() WHERE id = $1`, [
      id,
      message,
      JSON.stringify(before ?? null),
      JSON.stringify(after ?? null),
    ]);
  }

  /** Marks a request the worker gave up on (only while still `requested`). */
  async fail(id: string, message: string): Promise<void> {
    await this.db.query(`UPDATE admin_actions SET status = 'failed', message = $2, finished_at = now() WHERE id = $1 AND status = 'requested'`, [id, message]);
  }

  /** Marks a request expired (only while still `requested`). */
  async expire(id: string, message: string): Promise<void> {
    await this.db.query(`UPDATE admin_actions SET status = 'expired', message = $2, finished_at = now() WHERE id = $1 AND status = 'requested'`, [id, message]);
  }

  /** Up to 100 ids of requests still `requested` after `ageMs` milliseconds. */
  async requestedOlderThan(ageMs: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM admin_actions WHERE status = 'requested' AND requested_at < now() - make_interval(secs => $1::double precision / 1000) LIMIT 100`,
      [ageMs],
    );
    return rows.map((r) => r.id);
  }

  /** Up to 100 requests still `requested` after `ageMs` milliseconds, oldest first (to enqueue again). */
  waiting(ageMs: number): Promise<Array<Pick<OperatorActionRow, 'id' | 'action' | 'request_id'>>> {
    return this.db.query(
      `SELECT id, action, request_id FROM admin_actions WHERE status = 'requested' AND requested_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY requested_at LIMIT 100`,
      [ageMs],
    );
  }

  /** The payment with this public reference, or undefined. */
  async paymentByReference(reference: string): Promise<OperatorPaymentRow | undefined> {
    const [p]: OperatorPaymentRow[] = await this.db.query(
      `SELECT id, reference, status, network, asset, payer, amount::text, valid_before::text, nonce, failure_reason,
              failure_message, batch_id, tx_hash, settlement_mode, queued_at
         FROM payments p WHERE ${referenceMatchSql('p', '$1')}`,
      [reference],
    );
    return p;
  }

  /**
   * Sum (atomic units, decimal text) of the payer's other unsettled payments on the asset, counted as the exposure
   * guard counts them (payment-exposure.sql.ts: until the grace after their `validBefore`).
   */
  async otherUnsettled(p: Pick<OperatorPaymentRow, 'id' | 'network' | 'asset' | 'payer'>): Promise<string> {
    const [{ unsettled }]: Array<{ unsettled: string }> = await this.db.query(
      `SELECT coalesce(sum(amount), 0)::text AS unsettled FROM payments
        WHERE network = $1 AND asset = $2 AND payer = $3 AND status = ANY($5::text[]) AND id <> $4 AND expires_at > ${exposureHorizonSql()}`,
      [p.network, p.asset, p.payer, p.id, UNSETTLED_STATUSES],
    );
    return unsettled;
  }
}
