/**
 * The settlement batch state machine (one batch = one nonce of one relayer; see shared DESIGN).
 *
 * building ──signed & stored──▶ submitted ──receipt, rows landed──▶ included ──depth N──▶ confirmed
 *    │                             │  │                                 │                     │
 *    │                             │  └─receipt of our cancel──▶ cancelled                    │
 *    │                             └─reverted / nonce consumed──▶ failed ◀──reorged──┘        │
 *    └─no viable rows / permanent RPC error──▶ failed                                        │
 * failed | cancelled | confirmed ──one of its transactions found settling a row──▶ included ◀┘
 *   (row-outcomes: a transaction of a given-up batch mined after all, e.g. after a reorg; the batch
 *    is followed to confirmation depth again on that transaction's block)
 */
export const SETTLEMENT_BATCH_STATUSES = ['building', 'submitted', 'included', 'confirmed', 'failed', 'cancelled'] as const;

export type SettlementBatchStatus = (typeof SETTLEMENT_BATCH_STATUSES)[number];

/** Batches holding a relayer nonce that is not settled yet (a lane/relayer is busy while it has one). */
export const IN_FLIGHT_BATCH_STATUSES: readonly SettlementBatchStatus[] = ['building', 'submitted'];

/** Batches a worker still follows (the sweeper re-enqueues those left untouched too long). */
export const TRACKED_BATCH_STATUSES: readonly SettlementBatchStatus[] = ['building', 'submitted', 'included'];

/** Statuses a batch normally ends in; each can still be revived to `included` (see diagram). */
export const FINAL_BATCH_STATUSES: readonly SettlementBatchStatus[] = ['confirmed', 'failed', 'cancelled'];

/** Every allowed edge. A transition not listed here is a programming error. */
export const SETTLEMENT_BATCH_TRANSITIONS: Readonly<Record<SettlementBatchStatus, readonly SettlementBatchStatus[]>> = {
  building: ['submitted', 'failed'],
  submitted: ['included', 'failed', 'cancelled'],
  included: ['confirmed', 'failed'],
  confirmed: ['included'],
  failed: ['included'],
  cancelled: ['included'],
};

/** True when `from → to` is an edge of the batch state machine. */
export function canTransitionBatch(from: SettlementBatchStatus, to: SettlementBatchStatus): boolean {
  return SETTLEMENT_BATCH_TRANSITIONS[from].includes(to);
}
