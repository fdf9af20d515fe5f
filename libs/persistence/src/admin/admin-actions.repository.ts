import type { DataSource, EntityManager } from 'typeorm';
import { OPERATOR_ACTION_COLUMNS, OperatorActionRow } from './admin-actions';
import { queryRows } from '../query-rows';
import { UUID_TEXT } from './console-query';
import { referenceMatchSql } from '../payments/payment-reference';

/** An operator's request for the worker, as the API records it in `admin_actions`. */
export interface OperatorActionRequest {
  action: OperatorActionRow['action'];
  targetType: string;
  targetId: string;
  params: Record<string, unknown>;
  actor: string;
  userId: string | null;
  tokenId: string | null;
  requestId: string | null;
}

/** A lane's operator state (`lanes`). */
export interface LaneControlRow {
  paused: boolean;
  paused_reason: string | null;
  flush_requested_at: Date | null;
}

/** What an operator may change on a lane; absent fields are kept. */
export interface LaneControlChange {
  paused?: boolean;
  paused_reason?: string | null;
  /** Ask the scheduler to flush the lane on its next tick (`flush_requested_at = now()`). */
  flush?: boolean;
}

/** A webhook delivery and the state of its endpoint, for a replay. */
export interface ReplayableDeliveryRow {
  id: string;
  endpoint_id: string;
  merchant_id: string;
  status: string;
  event_type: string;
  attempt_count: number;
  endpoint_status: string;
  deleted_at: Date | null;
}

/**
 * What the API's operator actions read and write: the requests it records for the worker
 * (`admin_actions`), lane controls, merchant status and the deliveries it replays. Methods that take an
 * `EntityManager` run in the caller's transaction (with its audit row).
 */
export class AdminActionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The id and reference of a payment, by id (UUID text) or reference; undefined when there is none. */
  async paymentRef(refOrId: string): Promise<{ id: string; reference: string } | undefined> {
    const [p] = await this.dataSource.query(`SELECT p.id, p.reference FROM payments p WHERE ${UUID_TEXT.test(refOrId) ? 'p.id = $1' : referenceMatchSql('p', '$1')}`, [refOrId]);
    return p;
  }

  /** True when the batch (UUID text) exists. */
  async batchExists(id: string): Promise<boolean> {
    const [b] = await this.dataSource.query(`SELECT id FROM settlement_batches WHERE id = $1`, [id]);
    return !!b;
  }

  /** True when an operator paused the lane. */
  async lanePaused(network: string, asset: string): Promise<boolean> {
    const [state] = await this.dataSource.query(`SELECT paused FROM lanes WHERE network = $1 AND asset = $2`, [network, asset]);
    return !!state?.paused;
  }

  /**
   * Applies `change` to a lane in the caller's transaction: creates its `lanes` row if need be (the row may
   * not exist until the first operator action), locks it, updates it.
   * @returns the lane's controls before and after.
   */
  async changeLane(m: EntityManager, network: string, asset: string, change: LaneControlChange): Promise<{ before: LaneControlRow; after: LaneControlRow }> {
    await m.query(`INSERT INTO lanes (network, asset) VALUES ($1, $2) ON CONFLICT (network, asset) DO NOTHING`, [network, asset]);
    const [before] = await m.query(`SELECT paused, paused_reason, flush_requested_at FROM lanes WHERE network = $1 AND asset = $2 FOR UPDATE`, [network, asset]);
    const [after] = await queryRows<LaneControlRow>(
      m,
      `UPDATE lanes SET paused = coalesce($3, paused), paused_reason = CASE WHEN $4::boolean THEN $5 ELSE paused_reason END,
                flush_requested_at = CASE WHEN $6::boolean THEN now() ELSE flush_requested_at END, updated_at = now()
          WHERE network = $1 AND asset = $2 RETURNING paused, paused_reason, flush_requested_at`,
      [network, asset, change.paused ?? null, 'paused_reason' in change, change.paused_reason ?? null, change.flush === true],
    );
    return { before, after };
  }

  /** Records a request for the worker in the caller's transaction. @returns its id. */
  async insertRequest(m: EntityManager, r: OperatorActionRequest): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO admin_actions (action, target_type, target_id, params, actor, actor_user_id, actor_token_id, request_id)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING id`,
      [r.action, r.targetType, r.targetId, JSON.stringify(r.params), r.actor, r.userId, r.tokenId, r.requestId],
    );
    return row.id as string;
  }

  /** One recorded request (UUID text) with its outcome so far; undefined when there is none. */
  async action(id: string): Promise<OperatorActionRow | undefined> {
    const [a] = await this.dataSource.query(`SELECT ${OPERATOR_ACTION_COLUMNS} FROM admin_actions WHERE id = $1`, [id]);
    return a;
  }

  /** A delivery (UUID text) with its endpoint's state, in the caller's transaction; undefined when there is none. */
  async replayableDelivery(m: EntityManager, id: string): Promise<ReplayableDeliveryRow | undefined> {
    const [d] = await m.query(
      `SELECT d.id, d.endpoint_id, d.merchant_id, d.status, d.event_type, d.attempt_count, e.status AS endpoint_status, e.deleted_at
           FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
      [id],
    );
    return d;
  }

  /** Locks a merchant (UUID text) for a status change in the caller's transaction; undefined when there is none. */
  async lockMerchant(m: EntityManager, id: string): Promise<{ id: string; name: string; status: 'active' | 'suspended' } | undefined> {
    const [row] = await m.query(`SELECT id, name, status FROM merchants WHERE id = $1 FOR UPDATE`, [id]);
    return row;
  }

  /** Sets a merchant's status in the caller's transaction. */
  async setMerchantStatus(m: EntityManager, id: string, status: 'active' | 'suspended'): Promise<void> {
    await m.query(`UPDATE merchants SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
  }
}
