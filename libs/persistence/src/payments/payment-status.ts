/**
 * The payment state machine (see ../../../README.md#payment-lifecycle and shared DESIGN).
 *
 * verified ──settle──▶ queued ──▶ batched ──▶ submitted ──▶ included ──depth N──▶ confirmed
 *    │                   ▲           │            │             │
 *    │                   └─retriable─┴────────────┘             └─reorg──▶ queued
 *    └─(never settled, validBefore passed)──▶ lapsed
 * any non-final ──permanent reason / deadline passed / admin void──▶ failed
 */
export const PAYMENT_STATUSES = [
  'verified',
  'queued',
  'batched',
  'submitted',
  'included',
  'confirmed',
  'lapsed',
  'failed',
] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Statuses whose value is promised to a merchant but not yet moved on chain (exposure guard). */
export const UNSETTLED_STATUSES: readonly PaymentStatus[] = ['verified', 'queued', 'batched', 'submitted'];

/** Statuses from which nothing moves again. */
export const FINAL_STATUSES: readonly PaymentStatus[] = ['confirmed', 'lapsed', 'failed'];

/**
 * Statuses an operator may void (→ `failed`, reason `tollgate_voided`): nothing has been broadcast yet.
 * `submitted` and `included` are excluded on purpose: a signed transaction on the wire cannot be recalled,
 * so voiding would only make the ledger lie about what the chain does.
 */
export const VOIDABLE_STATUSES: readonly PaymentStatus[] = ['verified', 'queued', 'batched'];

/** Every allowed edge. A transition not listed here is a programming error. */
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  verified: ['queued', 'lapsed', 'failed'],
  // → included: found settled by one of our own earlier transactions (e.g. re-mined after a reorg).
  queued: ['batched', 'included', 'failed'],
  batched: ['submitted', 'queued', 'included', 'failed'],
  submitted: ['included', 'queued', 'failed'],
  included: ['confirmed', 'queued'],
  confirmed: [],
  lapsed: [],
  failed: ['queued'], // operator retry of a payment that can still succeed
};

/** True when `from → to` is an edge of the state machine. */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return PAYMENT_TRANSITIONS[from].includes(to);
}
