import type { PaymentStatus } from '../payments/payment-status';

/**
 * Event types of merchant webhooks. Payment events are written by {@link PaymentLedger.transition} in the
 * same statement as the transition that causes them; the others by the webhook delivery service (endpoint
 * disabled) and the merchant API (test send).
 */
export const PAYMENT_WEBHOOK_EVENT_TYPES = ['payment.queued', 'payment.included', 'payment.confirmed', 'payment.failed', 'payment.reorged'] as const;
export type PaymentWebhookEventType = (typeof PAYMENT_WEBHOOK_EVENT_TYPES)[number];

/** Sent to a merchant's other endpoints when one of its endpoints is disabled after sustained failure. */
export const ENDPOINT_DISABLED_EVENT = 'webhook_endpoint.disabled' as const;
/** Sent on demand by the test-send endpoint; every endpoint receives it whatever it subscribed to. */
export const TEST_EVENT = 'webhook.test' as const;

/**
 * Per-batch events (EVM): one delivery per (batch statement × subscribed endpoint of a merchant with payments
 * in it) listing that merchant's payments, so a merchant at volume gets one request per batch instead of one
 * per payment. Written by {@link PaymentLedger.transition} with `settlementBatch` (see {@link settlementDeliveriesSql}).
 */
export const SETTLEMENT_WEBHOOK_EVENT_TYPES = ['settlement.included', 'settlement.confirmed'] as const;
export type SettlementWebhookEventType = (typeof SETTLEMENT_WEBHOOK_EVENT_TYPES)[number];

/** Event types an endpoint may subscribe to. */
export const SUBSCRIBABLE_WEBHOOK_EVENT_TYPES = [...PAYMENT_WEBHOOK_EVENT_TYPES, ...SETTLEMENT_WEBHOOK_EVENT_TYPES, ENDPOINT_DISABLED_EVENT] as const;
export type SubscribableWebhookEventType = (typeof SUBSCRIBABLE_WEBHOOK_EVENT_TYPES)[number];
export type WebhookEventType = SubscribableWebhookEventType | typeof TEST_EVENT;

/** The subscription to every event type, present and future (`event_types = {'*'}`). */
export const ALL_WEBHOOK_EVENTS = '*' as const;

/** SQL: endpoint `e` is subscribed to the event type bound at `typeParam` (by name or by `*`). */
const subscribedSql = (typeParam: string): string => `(${typeParam} = ANY(e.event_types) OR '${ALL_WEBHOOK_EVENTS}' = ANY(e.event_types))`;

/** SQL: endpoint `e` is live (active, not deleted) and subscribed to the event type bound at `typeParam`. */
export const liveSubscribedSql = (typeParam: string): string => `e.status = 'active' AND e.deleted_at IS NULL AND ${subscribedSql(typeParam)}`;

/** Transition reason the batch tracker records when an inclusion block was reorganised away. */
export const REORGED_REASON = 'reorged';

/**
 * The webhook event a transition to `to` emits, or null when it emits none (verified, batched, submitted,
 * lapsed). A return to `queued` caused by a reorg is `payment.reorged`; any other (settle, retriable
 * failure, operator retry) is `payment.queued`.
 */
export function paymentEventTypeFor(to: PaymentStatus, reason: string | null | undefined): PaymentWebhookEventType | null {
  switch (to) {
    case 'queued':
      return reason === REORGED_REASON ? 'payment.reorged' : 'payment.queued';
    case 'included':
      return 'payment.included';
    case 'confirmed':
      return 'payment.confirmed';
    case 'failed':
      return 'payment.failed';
    default:
      return null;
  }
}

/** The per-batch event a transition of a batch's payments to `to` emits, or null. */
export function settlementEventTypeFor(to: PaymentStatus): SettlementWebhookEventType | null {
  return to === 'included' ? 'settlement.included' : to === 'confirmed' ? 'settlement.confirmed' : null;
}

/** One payment of a {@link SettlementSnapshot}. Addresses lower-case; big integers as decimal strings. */
export interface SettlementPaymentSnapshot {
  reference: string;
  payer: string;
  payTo: string;
  asset: string;
  /** Atomic units. */
  amount: string;
  nonce: string;
  network: string;
  txHash: string | null;
  logIndex: number | null;
  blockNumber: string | null;
}

/** A `settlement.*` delivery's snapshot: one merchant's payments moved by one batch statement. */
export interface SettlementSnapshot {
  batchId: string;
  status: 'included' | 'confirmed';
  network: string;
  asset: string;
  txHash: string | null;
  blockNumber: string | null;
  blockHash: string | null;
  /** Number of payments listed, and their sum in atomic units. */
  count: number;
  amount: string;
  /** In log order (the order the transaction settled them). */
  payments: SettlementPaymentSnapshot[];
}

/**
 * SQL of the CTE writing `settlement.*` deliveries for the `moved` rows of one batch transition: the rows
 * are grouped by merchant, one delivery per group × live endpoint subscribed to the type. Runs once per
 * statement (not per payment), in the statement of the transition, so a replayed job emits nothing.
 * Only merchants with a live endpoint subscribed to the type get their payments' snapshot built.
 * Arguments are the placeholders of the event type, the batch id and the target status; `o.name` names the
 * CTE (two in one statement need two names) and `o.createdAt` is SQL for the deliveries' `created_at`.
 */
export const settlementDeliveriesSql = (
  typeParam: string,
  batchParam: string,
  status: string,
  o: { name?: string; createdAt?: string } = {},
): string => `${o.name ?? 'batch_deliveries'} AS (
  INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot${o.createdAt ? ', created_at' : ''})
  SELECT e.id, g.merchant_id, ${typeParam}::text, ${NEW_MESSAGE_ID_SQL}, now(), g.snapshot${o.createdAt ? `, ${o.createdAt}` : ''}
    FROM (SELECT mv.merchant_id, jsonb_build_object(
            'batchId', ${batchParam}::text, 'status', ${status}::text, 'network', min(mv.network), 'asset', min(mv.asset),
            'txHash', min(mv.tx_hash), 'blockNumber', min(mv.block_number)::text, 'blockHash', min(mv.block_hash),
            'count', count(*), 'amount', sum(mv.amount)::text,
            'payments', jsonb_agg(jsonb_build_object(
              'reference', mv.reference, 'payer', mv.payer, 'payTo', mv.pay_to, 'asset', mv.asset, 'amount', mv.amount::text,
              'nonce', mv.nonce, 'network', mv.network, 'txHash', mv.tx_hash, 'logIndex', mv.log_index, 'blockNumber', mv.block_number::text
            ) ORDER BY mv.log_index NULLS LAST, mv.reference)) AS snapshot
            FROM moved mv
           WHERE mv.merchant_id IN (SELECT e.merchant_id FROM webhook_endpoints e
                                     WHERE ${liveSubscribedSql(`${typeParam}::text`)})
           GROUP BY mv.merchant_id) g
    JOIN webhook_endpoints e ON e.merchant_id = g.merchant_id AND ${liveSubscribedSql(`${typeParam}::text`)}
)`;

/**
 * The payment as it was right after the transition, stored with each delivery (`webhook_deliveries.snapshot`)
 * so that every attempt and every replay describes the change, not the payment's later state.
 * Addresses lower-case; big integers as decimal strings.
 */
export interface PaymentSnapshot {
  reference: string;
  status: PaymentStatus;
  previousStatus: PaymentStatus | null;
  /** Machine reason of the transition (e.g. `reorged`, a failure reason), if any. */
  reason: string | null;
  network: string;
  asset: string;
  payer: string;
  payTo: string;
  /** Atomic units. */
  amount: string;
  settlementMode: 'deferred' | 'confirmed' | null;
  txHash: string | null;
  /** Index of the payment's `AuthorizationUsed` log in its transaction, once included. */
  logIndex: number | null;
  blockNumber: string | null;
  blockHash: string | null;
  failureReason: string | null;
  failureMessage: string | null;
  /** Times the payment went back to the queue. */
  attempts: number;
  /** The transition's `detail` (e.g. the reorganised transaction hash and block). */
  detail: Record<string, unknown> | null;
}

/**
 * SQL of a transition's per-payment deliveries, as a CTE named `name`: one per (row of `moved` × live endpoint
 * of its merchant subscribed to the event type bound at `typeParam`), pointing at the row's event (`eventId`,
 * `eventAt`: columns of `moved`), with `snapshot` (SQL, see {@link paymentSnapshotSql}) and, when given, `createdAt`.
 */
export const paymentDeliveriesSql = (o: { name: string; typeParam: string; eventId: string; eventAt: string; snapshot: string; createdAt?: string }): string => `${o.name} AS (
        INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, payment_id, payment_event_id, occurred_at, snapshot${o.createdAt ? ', created_at' : ''})
        SELECT e.id, mv.merchant_id, ${o.typeParam}, ${NEW_MESSAGE_ID_SQL}, mv.id, mv.${o.eventId}, mv.${o.eventAt}, ${o.snapshot}${o.createdAt ? `, ${o.createdAt}` : ''}
          FROM moved mv
          JOIN webhook_endpoints e ON e.merchant_id = mv.merchant_id AND ${liveSubscribedSql(o.typeParam)}
      )`;

/**
 * SQL producing a {@link PaymentSnapshot} from the `moved` CTE of a transition (which returns the
 * updated row plus `from_status`); the arguments are the placeholders of the target status, the reason and the detail,
 * and SQL for the previous status (default the row's `from_status`).
 */
export const paymentSnapshotSql = (status: string, reason: string, detail: string, previous = 'mv.from_status'): string => `jsonb_build_object(
  'reference', mv.reference, 'status', ${status}::text, 'previousStatus', ${previous}, 'reason', ${reason}::text,
  'network', mv.network, 'asset', mv.asset, 'payer', mv.payer, 'payTo', mv.pay_to, 'amount', mv.amount::text,
  'settlementMode', mv.settlement_mode, 'txHash', mv.tx_hash, 'logIndex', mv.log_index,
  'blockNumber', mv.block_number::text, 'blockHash', mv.block_hash,
  'failureReason', mv.failure_reason, 'failureMessage', mv.failure_message, 'attempts', mv.attempts,
  'detail', ${detail}::jsonb)`;

/** SQL for a new Standard Webhooks message id (`webhook-id`): `msg_` + 32 hex digits. */
export const NEW_MESSAGE_ID_SQL = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;
