import type { PaymentStatus } from './payment-status';
import { NEW_MESSAGE_ID_SQL, paymentEventTypeFor, paymentSnapshotSql, settlementDeliveriesSql, settlementEventTypeFor, liveSubscribedSql } from '../webhooks/webhook-outbox';

/**
 * SQL for the id of a new `payment_events` row. A transition draws its events' ids (and times) in the
 * `RETURNING` of its `moved` rows, so each webhook delivery takes its event's id from its own row: joining the
 * moved rows to the inserted events instead was a nested loop of N × N rows per edge (rows of data-modifying
 * CTEs have no statistics): 20-30 ms of a 200-payment included-and-confirmed transition's 50-95 ms.
 */
export const EVENT_ID_SQL = `nextval('payment_events_id_seq'::regclass)`;

/**
 * SQL of a transition's second edge (PaymentLedger `TransitionOptions.then`), for the statement whose `moved`
 * CTE already holds the rows in their final state: `returning` adds the id and time of each row's second event
 * (`then_event_id`, `then_event_at`: drawn after the first's, so a payment's history stays in order), `events`
 * appends the `to → then.to` event of every moved row after its first one, and `outbox` adds the webhook
 * deliveries that edge emits (per payment, and per batch when `batchRef` names the batch).
 * The second edge's deliveries are created a microsecond after the first edge's, so the relay (oldest first)
 * hands them out in the order two transitions would have.
 * @param bind binds a value, answering its placeholder.
 */
export function secondEdgeSql(
  bind: (value: unknown) => string,
  o: { toParam: string; thenParam: string; then: { to: PaymentStatus; detail?: Record<string, unknown> }; batchRef?: () => string },
): { returning: string; events: string; outbox: string } {
  const detailParam = bind(o.then.detail ? JSON.stringify(o.then.detail) : null);
  const returning = `, ${EVENT_ID_SQL} AS then_event_id, clock_timestamp() AS then_event_at`;
  const events = `
        UNION ALL
        SELECT then_event_id, id, ${o.toParam}::text, ${o.thenParam}::text, NULL, ${detailParam}::jsonb, then_event_at FROM moved`;
  const later = `now() + interval '1 microsecond'`;
  let outbox = '';
  const type = paymentEventTypeFor(o.then.to, null);
  if (type) {
    const typeParam = bind(type);
    outbox += `, deliveries_then AS (
        INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot, created_at)
        SELECT e.id, mv.merchant_id, ${typeParam}, ${NEW_MESSAGE_ID_SQL}, mv.id, mv.then_event_id, mv.then_event_at,
               ${paymentSnapshotSql(o.thenParam, 'NULL', detailParam, `${o.toParam}::text`)}, ${later}
          FROM moved mv
          JOIN webhook_endpoints e ON e.merchant_id = mv.merchant_id AND ${liveSubscribedSql(typeParam)}
      )`;
  }
  const batchEvent = o.batchRef ? settlementEventTypeFor(o.then.to) : null;
  if (batchEvent && o.batchRef) {
    outbox += `, ${settlementDeliveriesSql(bind(batchEvent), o.batchRef(), o.thenParam, { name: 'batch_deliveries_then', createdAt: later })}`;
  }
  return { returning, events, outbox };
}
