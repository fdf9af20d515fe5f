/**
 * The webhook delivery state machine (one row per state change × endpoint; replays are new rows):
 *
 * pending ──2xx──▶ succeeded
 *    └──attempts exhausted / endpoint disabled or deleted / nothing to send──▶ failed
 * failed ──2xx of an attempt already in flight when the endpoint was disabled──▶ succeeded
 *
 * A retry keeps the delivery `pending` (only its schedule moves).
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Statuses from which nothing moves again. */
export const FINAL_WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = ['succeeded'];

/** Every allowed edge. A transition not listed here is a programming error. */
export const WEBHOOK_DELIVERY_TRANSITIONS: Readonly<Record<WebhookDeliveryStatus, readonly WebhookDeliveryStatus[]>> = {
  pending: ['succeeded', 'failed'],
  succeeded: [],
  failed: ['succeeded'],
};

/** True when `from → to` is an edge of the webhook delivery state machine. */
export function canTransitionDelivery(from: WebhookDeliveryStatus, to: WebhookDeliveryStatus): boolean {
  return WEBHOOK_DELIVERY_TRANSITIONS[from].includes(to);
}
