/**
 * How a lane's queue is moving, from the age of its oldest queued payment against its flush deadline
 * (BATCH_MAX_WAIT_MS: a lane flushes once its oldest payment has waited that long):
 * - `running`: nothing queued for longer than {@link LANE_SLOW_FACTOR}× the flush deadline (at least {@link LANE_SLOW_MIN_SECONDS});
 * - `slow` (amber): past that — batches are not leaving as fast as they should (relayers at their in-flight
 *   limit, a slow RPC, a worker restarting);
 * - `stalled` (red): past {@link LANE_STALLED_FACTOR}× the deadline and at least {@link LANE_STALLED_MIN_SECONDS} —
 *   nothing is settling this lane (no worker, a wedged relayer); payments approach their validBefore.
 * A paused lane is `paused` whatever its age: an operator chose to hold it.
 * With the default BATCH_MAX_WAIT_MS of 2 s: amber after 10 s, red after 30 s.
 */
export type LaneHealth = 'running' | 'slow' | 'stalled' | 'paused';

export const LANE_SLOW_FACTOR = 5;
export const LANE_SLOW_MIN_SECONDS = 10;
export const LANE_STALLED_FACTOR = 15;
export const LANE_STALLED_MIN_SECONDS = 30;

/** Seconds of waiting (oldest queued payment) beyond which a lane is amber and red, for a flush deadline of `maxWaitMs`. */
export function laneHealthThresholds(maxWaitMs: number): { slowAfterSeconds: number; stalledAfterSeconds: number } {
  const wait = maxWaitMs / 1000;
  return { slowAfterSeconds: Math.max(LANE_SLOW_FACTOR * wait, LANE_SLOW_MIN_SECONDS), stalledAfterSeconds: Math.max(LANE_STALLED_FACTOR * wait, LANE_STALLED_MIN_SECONDS) };
}

/** The lane's {@link LaneHealth}; `oldestQueuedAgeSeconds` is 0 when nothing is queued. */
export function laneHealth(lane: { paused: boolean; queued: number; oldestQueuedAgeSeconds: number }, maxWaitMs: number): LaneHealth {
  if (lane.paused) return 'paused';
  if (!lane.queued) return 'running';
  const t = laneHealthThresholds(maxWaitMs);
  if (lane.oldestQueuedAgeSeconds > t.stalledAfterSeconds) return 'stalled';
  if (lane.oldestQueuedAgeSeconds > t.slowAfterSeconds) return 'slow';
  return 'running';
}

/** 0 running or paused, 1 slow, 2 stalled: the `tollgate_lane_stall_level` gauge. */
export function laneStallLevel(health: LaneHealth): number {
  return health === 'stalled' ? 2 : health === 'slow' ? 1 : 0;
}
