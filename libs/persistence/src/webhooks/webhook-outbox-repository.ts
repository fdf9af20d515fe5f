import { queryRows } from '../query-rows';
import type { StatusRunner } from '../status-writer';
import { ENDPOINT_DISABLED_EVENT, NEW_MESSAGE_ID_SQL, liveSubscribedSql, TEST_EVENT } from './webhook-outbox';
import { WebhookDeliveryStore } from './webhook-delivery-store';

/** Which original deliveries of an endpoint a range replay repeats: event time in `[since, until)`, ended in `statuses`. */
export interface ReplayRange {
  since: Date;
  until: Date;
  statuses: Array<'failed' | 'succeeded'>;
}

const REPLAY_FILTER = `FROM webhook_deliveries WHERE endpoint_id = $1 AND merchant_id = $2 AND replay_of IS NULL
                      AND occurred_at >= $3 AND occurred_at < $4 AND status = ANY($5::text[])`;

/**
 * Outbox rows other than the ledger's: test sends, replays, endpoint-disabled notices, and the cancelling
 * of an endpoint's pending deliveries. Each runs in the caller's transaction (`m`); new rows have no job
 * yet (the caller dispatches them after commit, or the relay does).
 */
export class WebhookOutboxRepository {
  private readonly deliveries = new WebhookDeliveryStore();

  /** A `webhook.test` delivery to one endpoint. @returns its id. */
  async createTest(m: StatusRunner, endpointId: string, merchantId: string, snapshot: object): Promise<string> {
    const [row] = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot)
       VALUES ($1, $2, $3, ${NEW_MESSAGE_ID_SQL}, now(), $4::jsonb) RETURNING id`,
      [endpointId, merchantId, TEST_EVENT, JSON.stringify(snapshot)],
    );
    return row.id;
  }

  /**
   * A new delivery repeating `deliveryId` (same message id, snapshot and event time) on its endpoint.
   * @returns the new id, or null when the delivery does not belong to that endpoint and merchant.
   */
  async replayOne(m: StatusRunner, merchantId: string, endpointId: string, deliveryId: string): Promise<string | null> {
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, replay_of)
       SELECT endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, coalesce(replay_of, id)
         FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 AND merchant_id = $3
       RETURNING id`,
      [deliveryId, endpointId, merchantId],
    );
    return rows[0]?.id ?? null;
  }

  /** How many deliveries {@link replayRange} would create. */
  async countReplayable(m: StatusRunner, merchantId: string, endpointId: string, range: ReplayRange): Promise<number> {
    const [{ n }] = await queryRows<{ n: number }>(m, `SELECT count(*)::int AS n ${REPLAY_FILTER}`, replayParams(merchantId, endpointId, range));
    return n;
  }

  /** Repeats every original delivery of the range, in event order. @returns the new ids. */
  async replayRange(m: StatusRunner, merchantId: string, endpointId: string, range: ReplayRange): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, replay_of)
       SELECT endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, id
       ${REPLAY_FILTER} ORDER BY occurred_at, id
       RETURNING id`,
      replayParams(merchantId, endpointId, range),
    );
    return rows.map((r) => r.id);
  }

  /**
   * `webhook_endpoint.disabled` to the merchant's other live endpoints subscribed to it.
   * @param snapshot the event body's data; `endpointId` is the disabled endpoint, `disabledAt` the event time.
   */
  async notifyDisabled(m: StatusRunner, merchantId: string, snapshot: { endpointId: string; disabledAt: string }): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      m,
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot)
       SELECT e.id, e.merchant_id, $2, ${NEW_MESSAGE_ID_SQL}, $3, $4::jsonb
         FROM webhook_endpoints e
        WHERE e.merchant_id = $1 AND e.id <> $5 AND ${liveSubscribedSql('$2')}
       RETURNING id`,
      [merchantId, ENDPOINT_DISABLED_EVENT, snapshot.disabledAt, JSON.stringify(snapshot), snapshot.endpointId],
    );
    return rows.map((r) => r.id);
  }

  /** Fails every pending delivery of an endpoint (it was disabled or deleted). @returns how many. */
  async cancelPending(m: StatusRunner, endpointId: string, why: string): Promise<number> {
    const ids = await this.deliveries.transition(m, { endpointId }, 'pending', 'failed', { last_error: why });
    return ids.length;
  }
}

function replayParams(merchantId: string, endpointId: string, range: ReplayRange): unknown[] {
  return [endpointId, merchantId, range.since, range.until, range.statuses];
}
