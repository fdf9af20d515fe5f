/** Longest `Retry-After` we honour (ms): a receiver cannot park a delivery for longer than a day. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/**
 * Parses a `Retry-After` header value: delay-seconds or an HTTP-date.
 * @returns milliseconds from `now` (≥ 0, capped at {@link MAX_RETRY_AFTER_MS}), or null when absent or unparsable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/** What to do after a failed attempt. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * After `attemptsMade` failed attempts (≥ 1): the delay before the next one — the schedule's next step, or
 * longer when the receiver asked for it with `Retry-After` — or no retry once the schedule is spent.
 *
 * `schedule[i]` is the delay before attempt i+1: `schedule[0]` after the event, later steps after the
 * previous attempt; the schedule's length is the attempt budget.
 */
export function nextAttempt(schedule: readonly number[], attemptsMade: number, retryAfterMs: number | null = null): RetryDecision {
  if (attemptsMade >= schedule.length) return { retry: false };
  const step = schedule[attemptsMade];
  return { retry: true, delayMs: Math.max(step, retryAfterMs ?? 0) };
}

/** Total time (ms) from the event to the last scheduled attempt. */
export function scheduleSpanMs(schedule: readonly number[]): number {
  return schedule.reduce((a, b) => a + b, 0);
}
