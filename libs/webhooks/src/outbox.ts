import { EntityManager } from 'typeorm';
import { ENDPOINT_DISABLED_EVENT, NEW_MESSAGE_ID_SQL, TEST_EVENT, WebhookDeliveryStore } from '@tollgate/persistence';
import type { EndpointDisabledSnapshot, TestEventSnapshot } from './event-payload';
import { queryRows } from '@tollgate/persistence';

const deliveryStatus = new WebhookDeliveryStore();

/** Most deliveries one range replay may create; a wider range must be split. */
export const MAX_RANGE_REPLAY = 1000;

/** Raised when a range replay would create more than {@link MAX_RANGE_REPLAY} deliveries. */
export class ReplayRangeTooLargeError extends Error {
  constructor(readonly count: number) {
    super(`the range holds ${count} deliveries; replay at most ${MAX_RANGE_REPLAY} at a time`);
    this.name = 'ReplayRangeTooLargeError';
  }
}

/**
 * Outbox writes other than the ledger's: test sends, replays and endpoint-disabled notices. Each runs in
 * the caller's transaction (`m`) and returns the new delivery ids; the caller dispatches them after commit
 * ({@link WebhookDispatcher.dispatchNew}).
 */
export const WebhookOutbox = {
  /** A `webhook.test` delivery to one endpoint (any status but deleted). */
  async createTest(m: EntityManager, endpointId: string, merchantId: string): Promise<string> {
    const snapshot: TestEventSnapshot = { endpointId, message: 'Test event sent from the Tollgate merchant API.' };
    const [row] = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot)
       VALUES ($1, $2, $3, ${NEW_MESSAGE_ID_SQL}, now(), $4::jsonb) RETURNING id`,
      [endpointId, merchantId, TEST_EVENT, JSON.stringify(snapshot)],
    );
    return row.id;
  },

  /**
   * A new delivery repeating `deliveryId` (same message id, snapshot and event time) on its endpoint.
   * @returns the new id, or null when the delivery does not belong to that endpoint and merchant.
   */
  async replayOne(m: EntityManager, merchantId: string, endpointId: string, deliveryId: string): Promise<string | null> {
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, replay_of)
       SELECT endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, coalesce(replay_of, id)
         FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 AND merchant_id = $3
       RETURNING id`,
      [deliveryId, endpointId, merchantId],
    );
    return rows[0]?.id ?? null;
  },

  /**
   * Replays the original (non-replay) deliveries of an endpoint whose event happened in `[since, until)`
   * and that ended `failed` — or also `succeeded` with `includeSucceeded`. Pending ones are still being
   * tried and are left alone.
   * @throws ReplayRangeTooLargeError when more than {@link MAX_RANGE_REPLAY} would be created.
   */
  async replayRange(
    m: EntityManager,
    merchantId: string,
    endpointId: string,
    range: { since: Date; until: Date; includeSucceeded: boolean },
  ): Promise<string[]> {
    const statuses = range.includeSucceeded ? ['failed', 'succeeded'] : ['failed'];
    const filter = `FROM webhook_deliveries WHERE endpoint_id = $1 AND merchant_id = $2 AND replay_of IS NULL
                      AND occurred_at >= $3 AND occurred_at < $4 AND status = ANY($5::text[])`;
    const params = [endpointId, merchantId, range.since, range.until, statuses];
    const [{ n }] = await queryRows<{ n: number }>(m, `SELECT count(*)::int AS n ${filter}`, params);
    if (n > MAX_RANGE_REPLAY) throw new ReplayRangeTooLargeError(n);
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, replay_of)
       SELECT endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, id
       ${filter} ORDER BY occurred_at, id
       RETURNING id`,
      params,
    );
    return rows.map((r) => r.id);
  },

  /** `webhook_endpoint.disabled` to the merchant's other live endpoints subscribed to it. */
  async notifyDisabled(m: EntityManager, merchantId: string, snapshot: EndpointDisabledSnapshot): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot)
       SELECT e.id, e.merchant_id, $2, ${NEW_MESSAGE_ID_SQL}, $3, $4::jsonb
         FROM webhook_endpoints e
        WHERE e.merchant_id = $1 AND e.status = 'active' AND e.deleted_at IS NULL AND e.id <> $5 AND $2 = ANY(e.event_types)
       RETURNING id`,
      [merchantId, ENDPOINT_DISABLED_EVENT, snapshot.disabledAt, JSON.stringify(snapshot), snapshot.endpointId],
    );
    return rows.map((r) => r.id);
  },

  /** Fails every pending delivery of an endpoint (it was disabled or deleted); returns how many. */
  async cancelPending(m: EntityManager, endpointId: string, why: string): Promise<number> {
    const ids = await deliveryStatus.transition(m, { endpointId }, 'pending', 'failed', { last_error: why });
    return ids.length;
  },
};
