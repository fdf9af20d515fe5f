import type { PaymentStatus } from './payment-status';
import { paymentDeliveriesSql, paymentEventTypeFor, paymentSnapshotSql, settlementDeliveriesSql, settlementEventTypeFor } from '../webhooks/webhook-outbox';

/**
 * SQL for the id of a new `payment_events` row. A transition draws its events' ids (and times) in the
 * `RETURNING` of its `moved` rows, so each webhook delivery takes its event's id from its own row: joining the
 * moved rows to the inserted events instead was a nested loop of N × N rows per edge (rows of data-modifying
 * CTEs have no statistics): 20-30 ms of a 200-payment included-and-confirmed transition's 50-95 ms.
 */
export const EVENT_ID_SQL = `nextval('payment_events_id_seq'::regclass)`;

/**
 * SQL of a batch step's one event row (payment-events.sql.ts), selected from `moved`: id and time from the columns
 * `eventId` and `eventAt` (the same in every moved row), every moved payment in `payment_ids`; no row when nothing moved.
 */
function stepEventRowSql(o: { eventId: string; eventAt: string; from: string; to: string; reason: string; detail: string }): string {
  return `SELECT min(${o.eventId}), NULL::uuid, array_agg(id ORDER BY id), ${o.from}, ${o.to}, ${o.reason}, ${o.detail}, min(${o.eventAt})
          FROM moved HAVING count(*) > 0`;
}

/** SQL of a batch step's event detail: the transition's `detail` (bound at `detailParam`) plus `batchId`. */
export function batchStepDetailSql(batchParam: string): (detailParam: string) => string {
  return (detail) => `coalesce(${detail}::jsonb, '{}'::jsonb) || jsonb_build_object('batchId', ${batchParam}::text)`;
}

/**
 * SQL of a transition's first-edge events, for its statement (payment-ledger.ts `run`): `rows` selects the
 * `payment_events` rows from `moved` (id, payment_id, payment_ids, from_status, to_status, reason, detail,
 * created_at), `returning` the event id and time each moved row carries (`event_id`, `event_at`, which its
 * webhook deliveries point at), `with`, `from` and `old` (columns the `old` CTE adds, which `moved` returns as
 * `carry`) what that needs.
 * - One row per payment, each with its own id and time (drawn in the `RETURNING`). With `leftBatch` (the
 *   transition sets `batch_id`), a row whose payment leaves its batch names it (`detail.leftBatchId`), so the
 *   payment's batches stay known from its own rows (payment-events.sql.ts). With `requeued` (the transition sets
 *   `queued_at`: an operator retry), a row names the `queued_at` it replaced (`detail.previousQueuedAt`), which
 *   keeps the time of the payment's queue step (payment-events.sql.ts).
 * - A batch step (`stepDetail` set, payment-events.sql.ts): one row for the statement, listing the moved payments,
 *   its id and time (and the second edge's, `withThen`) drawn once in `step_ids`; no row when nothing moved.
 */
export function firstEdgeEventsSql(o: {
  stepDetail?: (detailParam: string) => string;
  withThen: boolean;
  toParam: string;
  reasonParam: string;
  detailParam: string;
  leftBatch: boolean;
  requeued?: boolean;
}): { with: string; from: string; old: string; carry: string[]; returning: string; rows: string } {
  if (!o.stepDetail) {
    // What a row adds to the transition's detail: the batch its payment left, the queued_at a re-queue replaced.
    const carry: string[] = [];
    const added: Array<{ when: string; add: string }> = [];
    if (o.leftBatch) {
      carry.push('left_batch_id');
      added.push({ when: 'left_batch_id IS NOT NULL AND left_batch_id IS DISTINCT FROM batch_id', add: `jsonb_build_object('leftBatchId', left_batch_id)` });
    }
    if (o.requeued) {
      carry.push('previous_queued_at');
      added.push({ when: 'previous_queued_at IS NOT NULL', add: `jsonb_build_object('previousQueuedAt', previous_queued_at)` });
    }
    const detail = added.length
      ? `CASE WHEN ${added.map((a) => `(${a.when})`).join(' OR ')}
              THEN coalesce(${o.detailParam}::jsonb, '{}'::jsonb)${added.map((a) => ` || CASE WHEN ${a.when} THEN ${a.add} ELSE '{}'::jsonb END`).join('')}
              ELSE ${o.detailParam}::jsonb END`
      : `${o.detailParam}::jsonb`;
    const columns: Record<string, string> = { left_batch_id: 'p.batch_id', previous_queued_at: 'p.queued_at' };
    return {
      with: '',
      from: '',
      old: carry.map((c) => `, ${columns[c]} AS ${c}`).join(''),
      carry,
      returning: `${EVENT_ID_SQL} AS event_id, clock_timestamp() AS event_at`,
      rows: `SELECT event_id, id, NULL::uuid[], from_status, ${o.toParam}, ${o.reasonParam}, ${detail}, event_at FROM moved`,
    };
  }
  const then = o.withThen ? `, ${EVENT_ID_SQL} AS then_event_id, clock_timestamp() AS then_event_at` : '';
  return {
    with: `step_ids AS MATERIALIZED (SELECT ${EVENT_ID_SQL} AS event_id, clock_timestamp() AS event_at${then}), `,
    from: ', step_ids st',
    old: '',
    carry: [],
    returning: 'st.event_id, st.event_at',
    rows: stepEventRowSql({ eventId: 'event_id', eventAt: 'event_at', from: 'min(from_status)', to: o.toParam, reason: o.reasonParam, detail: o.stepDetail(o.detailParam) }),
  };
}

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
  o: {
    toParam: string;
    thenParam: string;
    then: { to: PaymentStatus; detail?: Record<string, unknown> };
    batchRef?: () => string;
    /** The statement records batch steps (payment-events.sql.ts): the second edge is one row too, drawn in `step_ids`. */
    stepDetail?: (detailParam: string) => string;
  },
): { returning: string; events: string; outbox: string } {
  const detailParam = bind(o.then.detail ? JSON.stringify(o.then.detail) : null);
  const returning = o.stepDetail
    ? `, st.then_event_id, st.then_event_at`
    : `, ${EVENT_ID_SQL} AS then_event_id, clock_timestamp() AS then_event_at`;
  const events = o.stepDetail
    ? `
        UNION ALL
        ${stepEventRowSql({ eventId: 'then_event_id', eventAt: 'then_event_at', from: `${o.toParam}::text`, to: `${o.thenParam}::text`, reason: 'NULL', detail: o.stepDetail(detailParam) })}`
    : `
        UNION ALL
        SELECT then_event_id, id, NULL::uuid[], ${o.toParam}::text, ${o.thenParam}::text, NULL, ${detailParam}::jsonb, then_event_at FROM moved`;
  const later = `now() + interval '1 microsecond'`;
  let outbox = '';
  const type = paymentEventTypeFor(o.then.to, null);
  if (type) {
    const typeParam = bind(type);
    const snapshot = paymentSnapshotSql(o.thenParam, 'NULL', detailParam, `${o.toParam}::text`);
    outbox += `, ${paymentDeliveriesSql({ name: 'deliveries_then', typeParam, eventId: 'then_event_id', eventAt: 'then_event_at', snapshot, createdAt: later })}`;
  }
  const batchEvent = o.batchRef ? settlementEventTypeFor(o.then.to) : null;
  if (batchEvent && o.batchRef) {
    outbox += `, ${settlementDeliveriesSql(bind(batchEvent), o.batchRef(), o.thenParam, { name: 'batch_deliveries_then', createdAt: later })}`;
  }
  return { returning, events, outbox };
}
