import { LaneHealth, laneHealthThresholds } from './lane-health';

/**
 * A Solana lane's {@link LaneHealth}. Solana has no batch wait — the worker claims every queued payment on its
 * next pass (BATCH_TICK_MS) — but each payment has a hard deadline: its blockhash's expiry (the payment's
 * validBefore), after which it can only fail (`tollgate_blockhash_expired`). So:
 * - `stalled` (red): the earliest deadline among queued payments is within the network's settlement window
 *   (`SOLANA_SETTLEMENT_WINDOW_SECONDS_<K>`, the margin verify demanded) or already past — a payment about to
 *   expire unsent — or the oldest queued payment waited past the EVM red threshold;
 * - `slow` (amber): the oldest queued payment waited past the EVM amber threshold (5× BATCH_MAX_WAIT_MS, at
 *   least 10 s): passes are not claiming it (no worker, fee payer low on SOL or without a key);
 * - `running` otherwise, and whenever nothing is queued. Solana lanes cannot be paused.
 */
export function svmLaneHealth(
  lane: { queued: number; oldestQueuedAgeSeconds: number; earliestDeadline: Date | null },
  maxWaitMs: number,
  settlementWindowSeconds: number,
  now = Date.now(),
): LaneHealth {
  if (!lane.queued) return 'running';
  const t = laneHealthThresholds(maxWaitMs);
  const left = lane.earliestDeadline ? (lane.earliestDeadline.getTime() - now) / 1000 : Infinity;
  if (left <= settlementWindowSeconds || lane.oldestQueuedAgeSeconds > t.stalledAfterSeconds) return 'stalled';
  if (lane.oldestQueuedAgeSeconds > t.slowAfterSeconds) return 'slow';
  return 'running';
}
