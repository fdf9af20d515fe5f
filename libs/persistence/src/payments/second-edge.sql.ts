import type { PaymentStatus } from './payment-status';
import { NEW_MESSAGE_ID_SQL, paymentEventTypeFor, paymentSnapshotSql, settlementDeliveriesSql, settlementEventTypeFor, subscribedSql } from '../webhooks/webhook-outbox';

/**
 * SQL of a transition's second edge (PaymentLedger `TransitionOptions.then`), for the statement whose `moved`
 * CTE already holds the rows in their final state: `events` appends the `to → then.to` event of every moved
 * row after its first one (`UNION ALL`: the first edge's rows are numbered first), and `outbox` adds the
 * webhook deliveries that edge emits (per payment, and per batch when `batchRef` names the batch).
 * The second edge's deliveries are created a microsecond after the first edge's, so the relay (oldest first)
 * hands them out in the order two transitions would have.
 * @param bind binds a value, answering its placeholder.
 */
export function secondEdgeSql(
  bind: (value: unknown) => string,
  o: { toParam: string; thenParam: string; then: { to: PaymentStatus; detail?: Record<string, unknown> }; batchRef?: () => string },
): { events: string; outbox: string } {
  const detailParam = bind(o.then.detail ? JSON.stringify(o.then.detail) : null);
  const events = `
        UNION ALL
        SELECT id, ${o.toParam}::text, ${o.thenParam}::text, NULL, ${detailParam}::jsonb FROM moved`;
  const later = `now() + interval '1 microsecond'`;
  let outbox = '';
  const type = paymentEventTypeFor(o.then.to, null);
  if (type) {
    const typeParam = bind(type);
    outbox += `, deliveries_then AS (
        INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, created_at)
        SELECT e.id, mv.merchant_id, ${typeParam}, ${NEW_MESSAGE_ID_SQL}, mv.id, ev.id, ev.created_at,
               ${paymentSnapshotSql(o.thenParam, 'NULL', detailParam, `${o.toParam}::text`)}, ${later}
          FROM moved mv
          JOIN events ev ON ev.payment_id = mv.id AND ev.to_status = ${o.thenParam}::text
          JOIN webhook_endpoints e ON e.merchant_id = mv.merchant_id AND e.status = 'active' AND e.deleted_at IS NULL
                                  AND ${subscribedSql(typeParam)}
      )`;
  }
  const batchEvent = o.batchRef ? settlementEventTypeFor(o.then.to) : null;
  if (batchEvent && o.batchRef) {
    outbox += `, ${settlementDeliveriesSql(bind(batchEvent), o.batchRef(), o.thenParam, { name: 'batch_deliveries_then', createdAt: later })}`;
  }
  return { events, outbox };
}
