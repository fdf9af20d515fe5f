/**
 * The SQL of a payment transition (PaymentLedger): one conditional UPDATE of `payments` with its event rows and webhook
 * deliveries in the same statement. The ledger runs it; this file builds it.
 */
import type { PaymentStatus } from './payment-status';
import { QUEUED_STEP_EVENT_ID } from './payment-events.sql';
import { paymentDeliveriesSql, paymentSnapshotSql, paymentEventTypeFor, settlementDeliveriesSql, settlementEventTypeFor } from '../webhooks/webhook-outbox';
import { batchStepDetailSql, firstEdgeEventsSql, secondEdgeSql } from './second-edge.sql';

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

/** The columns a transition may set (the keys of {@link TransitionPatch}); any other is refused. */
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

/** What a transition records and writes besides the status it moves to (PaymentLedger.transition). */
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
  /**
   * The EVM batch whose inclusion or confirmation this transition records: the statement also writes the
   * per-batch `settlement.included` / `settlement.confirmed` deliveries (one per merchant endpoint
   * subscribed, listing that merchant's moved payments). Not set for Solana, whose payments settle alone.
   */
  settlementBatch?: string;
  /**
   * A second edge taken in the same statement, when the state after the first is already known to be
   * passed (a batch found included at its confirmation depth): the row is written once, in `then.to`, with
   * both patches; both events are recorded, in order (`from → to`, then `to → then.to` with `then.detail`),
   * with the webhook deliveries each one emits, as two transitions would. Nobody can see the intermediate
   * state, since both happen in one statement; one row version instead of two.
   */
  then?: { to: PaymentStatus; detail?: Record<string, unknown>; patch?: TransitionPatch };
  /**
   * The EVM batch this transition is a step of (every moved payment loaded from it): one `payment_events` row per
   * edge lists them all, instead of one row each (payment-events.sql.ts). Needs a single `from` status.
   */
  batchStep?: string;
}

/** The rows a transition locks: `from` must alias `payments` as `p`; `carry` names columns of `from` returned per moved row. */
export interface RowSource {
  from: string;
  where: string;
  carry?: string[];
}

/**
 * The one statement of a transition (PaymentLedger): lock the rows `select` picks, update them, write their events
 * and, for transitions merchants hear about, their webhook deliveries. `select` binds its values through `bind`.
 * `queueStep`: the statement is the queue step (`verified → queued`, setting `queued_at`), which the payment row
 * records instead of an event row (payment-events.sql.ts); its deliveries point at the step's fixed id
 * ({@link QUEUED_STEP_EVENT_ID}) and time (`queued_at`).
 * @returns the SQL and its parameters; the statement answers `id, reference` (and `select`'s carried columns) per moved row.
 * @throws Error on a column no transition may patch, one patched by both edges, or a queue step that is not one.
 */
export function transitionStatementSql(
  select: (bind: (value: unknown) => string) => string | RowSource,
  to: PaymentStatus,
  opts: TransitionOptions,
  queueStep = false,
): { sql: string; params: unknown[] } {
  if (queueStep && (to !== 'queued' || opts.then || opts.batchStep || opts.reason || opts.detail || !opts.patch?.queued_at)) {
    throw new Error('the queue step (verified -> queued) sets queued_at and carries no reason, detail or second edge');
  }
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const toParam = bind(to);
  const reasonParam = bind(opts.reason ?? null);
  const detailParam = bind(opts.detail ? JSON.stringify(opts.detail) : null);
  const then = opts.then;
  const thenParam = then ? bind(then.to) : undefined;
  const sets = [`status = ${thenParam ?? toParam}`, 'updated_at = now()'];
  const patched = new Set<string>();
  for (const [col, value] of [...Object.entries(opts.patch ?? {}), ...Object.entries(then?.patch ?? {})]) {
    if (!PATCHABLE.has(col as keyof TransitionPatch)) throw new Error(`column ${col} is not patchable by a transition`);
    if (patched.has(col)) throw new Error(`column ${col} is patched by both edges of one transition`);
    patched.add(col);
    sets.push(`${col} = ${bind(value)}`);
  }
  if (opts.incrementAttempts) sets.push('attempts = p.attempts + 1');
  let perRow = '';
  if (opts.logIndexes?.size) {
    perRow = ` LEFT JOIN unnest(${bind([...opts.logIndexes.keys()])}::uuid[], ${bind([...opts.logIndexes.values()])}::int[]) AS li(id, log_index) ON li.id = old.id`;
    sets.push('log_index = coalesce(li.log_index, p.log_index)');
  }
  // The outbox: one delivery per (moved payment × live endpoint of its merchant subscribed to the event),
  // in the same statement as the transition. A replayed job moves nothing, so it emits nothing.
  const eventType = paymentEventTypeFor(to, opts.reason);
  let outbox = '';
  if (eventType) {
    const typeParam = bind(eventType);
    const snapshot = paymentSnapshotSql(toParam, reasonParam, detailParam);
    outbox = `, ${paymentDeliveriesSql({ name: 'deliveries', typeParam, eventId: 'event_id', eventAt: 'event_at', snapshot })}`;
  }
  const batchEvent = opts.settlementBatch ? settlementEventTypeFor(to) : null;
  // Bound once, on first use (an unused parameter has no type Postgres could infer).
  let batchParam: string | undefined;
  const batchRef = (): string => (batchParam ??= bind(opts.settlementBatch));
  if (batchEvent) outbox += `, ${settlementDeliveriesSql(bind(batchEvent), batchRef(), toParam)}`;
  const stepDetail = opts.batchStep ? batchStepDetailSql(bind(opts.batchStep)) : undefined;
  const second =
    then && thenParam ? secondEdgeSql(bind, { toParam, thenParam, then, batchRef: opts.settlementBatch ? batchRef : undefined, stepDetail }) : undefined;
  outbox += second?.outbox ?? '';
  const picked = select(bind);
  const source: RowSource = typeof picked === 'string' ? { from: 'payments p', where: picked } : picked;
  const carried = (source.carry ?? []).map((c) => `, ${c}`).join('');
  const ev = queueStep
    ? { with: '', from: '', old: '', carry: [], returning: `${QUEUED_STEP_EVENT_ID}::bigint AS event_id, p.queued_at AS event_at`, rows: '' }
    : firstEdgeEventsSql({
        stepDetail,
        withThen: !!then,
        toParam,
        reasonParam,
        detailParam,
        leftBatch: 'batch_id' in (opts.patch ?? {}),
        requeued: 'queued_at' in (opts.patch ?? {}),
      });
  const events = queueStep
    ? ''
    : `, events AS (
      INSERT INTO payment_events (id, payment_id, payment_ids, from_status, to_status, reason, detail, created_at)
      ${ev.rows}${second?.events ?? ''}
    )`;
  const sql = `
    WITH ${ev.with}old AS (
      SELECT p.id, p.status${ev.old}${carried} FROM ${source.from} WHERE ${source.where} FOR UPDATE OF p
    ), moved AS (
      UPDATE payments p SET ${sets.join(', ')} FROM old${perRow}${ev.from} WHERE p.id = old.id
      RETURNING p.*, old.status AS from_status${ev.carry.map((c) => `, old.${c}`).join('')}${source.carry ? source.carry.map((c) => `, old.${c}`).join('') : ''}, ${ev.returning}${second?.returning ?? ''}
    )${events}${outbox}
    SELECT id, reference${carried} FROM moved`;
  return { sql, params };
}
