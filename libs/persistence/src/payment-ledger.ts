import { DataSource, EntityManager } from 'typeorm';
import { canTransition, PaymentStatus } from './payment-status';
import { NEW_MESSAGE_ID_SQL, PAYMENT_SNAPSHOT_SQL, paymentEventTypeFor } from './webhook-outbox';

/** Columns a transition may set besides `status`. Values are bound parameters, never interpolated. */
export interface TransitionPatch {
  failure_reason?: string | null;
  failure_message?: string | null;
  batch_id?: string | null;
  tx_hash?: string | null;
  log_index?: number | null;
  block_number?: string | null;
  block_hash?: string | null;
  settlement_mode?: 'deferred' | 'confirmed';
  queued_at?: Date | null;
  included_at?: Date | null;
  confirmed_at?: Date | null;
}

const PATCHABLE = new Set<keyof TransitionPatch>([
  'failure_reason',
  'failure_message',
  'batch_id',
  'tx_hash',
  'log_index',
  'block_number',
  'block_hash',
  'settlement_mode',
  'queued_at',
  'included_at',
  'confirmed_at',
]);

export interface TransitionOptions {
  /** Machine reason recorded on the event (and usually as failure_reason). */
  reason?: string;
  detail?: Record<string, unknown>;
  patch?: TransitionPatch;
  /** Count this transition as another settlement attempt (re-queue after a retriable failure). */
  incrementAttempts?: boolean;
  /**
   * Per-payment log index of its `AuthorizationUsed` event (inclusion), set in the same statement so the
   * webhook snapshot written with the transition already carries it.
   */
  logIndexes?: Map<string, number>;
}

/**
 * The only writer of payment status. Every transition is one conditional UPDATE
 * (`WHERE id = ANY($ids) AND status = ANY($from)`) plus its event row, in a single statement, so a
 * replayed job or a racing request moves nothing twice and history never misses a step. Transitions that
 * merchants hear about (see {@link paymentEventTypeFor}) also write their webhook deliveries (the outbox)
 * in that statement; the webhook worker's relay picks them up once the caller's transaction commits.
 */
export class PaymentLedger {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Moves the payments in `ids` that are currently in one of `from` to `to`.
   * @returns ids actually moved (others were not in an expected status: someone else moved them).
   * @throws Error when an edge is not part of the state machine (a programming error).
   */
  async transition(
    ids: string[],
    from: PaymentStatus | readonly PaymentStatus[],
    to: PaymentStatus,
    opts: TransitionOptions = {},
    manager?: EntityManager,
  ): Promise<string[]> {
    const fromList = (Array.isArray(from) ? from : [from]) as PaymentStatus[];
    for (const f of fromList) {
      if (!canTransition(f, to)) throw new Error(`illegal payment transition ${f} -> ${to}`);
    }
    if (ids.length === 0) return [];
    const params: unknown[] = [ids, fromList, to, opts.reason ?? null, opts.detail ? JSON.stringify(opts.detail) : null];
    const sets = ['status = $3', 'updated_at = now()'];
    for (const [col, value] of Object.entries(opts.patch ?? {})) {
      if (!PATCHABLE.has(col as keyof TransitionPatch)) throw new Error(`column ${col} is not patchable by a transition`);
      params.push(value);
      sets.push(`${col} = $${params.length}`);
    }
    if (opts.incrementAttempts) sets.push('attempts = p.attempts + 1');
    let perRow = '';
    if (opts.logIndexes?.size) {
      params.push([...opts.logIndexes.keys()], [...opts.logIndexes.values()]);
      perRow = ` LEFT JOIN unnest($${params.length - 1}::uuid[], $${params.length}::int[]) AS li(id, log_index) ON li.id = old.id`;
      sets.push('log_index = coalesce(li.log_index, p.log_index)');
    }
    // The outbox: one delivery per (moved payment × live endpoint of its merchant subscribed to the event),
    // in the same statement as the transition. A replayed job moves nothing, so it emits nothing.
    const eventType = paymentEventTypeFor(to, opts.reason);
    let outbox = '';
    if (eventType) {
      params.push(eventType);
      const typeParam = `$${params.length}`;
      outbox = `, deliveries AS (
        INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot)
        SELECT e.id, mv.merchant_id, ${typeParam}, ${NEW_MESSAGE_ID_SQL}, mv.id, ev.id, ev.created_at, ${PAYMENT_SNAPSHOT_SQL}
          FROM moved mv
          JOIN events ev ON ev.payment_id = mv.id
          JOIN webhook_endpoints e ON e.merchant_id = mv.merchant_id AND e.status = 'active' AND e.deleted_at IS NULL
                                  AND ${typeParam} = ANY(e.event_types)
      )`;
    }
    const sql = `
      WITH old AS (
        SELECT id, status FROM payments WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[]) FOR UPDATE
      ), moved AS (
        UPDATE payments p SET ${sets.join(', ')} FROM old${perRow} WHERE p.id = old.id RETURNING p.*, old.status AS from_status
      ), events AS (
        INSERT INTO payment_events (payment_id, from_status, to_status, reason, detail)
        SELECT id, from_status, $3, $4, $5::jsonb FROM moved
        RETURNING id, payment_id, created_at
      )${outbox}
      SELECT id FROM moved`;
    const runner = manager ?? this.dataSource.manager;
    const rows: { id: string }[] = await runner.query(sql, params);
    return rows.map((r) => r.id);
  }

  /** Records the creation of a payment (no from_status) in the event history. */
  async recordCreated(paymentId: string, status: PaymentStatus, manager: EntityManager, detail?: Record<string, unknown>): Promise<void> {
    await manager.query(
      `INSERT INTO payment_events (payment_id, from_status, to_status, reason, detail) VALUES ($1, NULL, $2, NULL, $3::jsonb)`,
      [paymentId, status, detail ? JSON.stringify(detail) : null],
    );
  }
}
