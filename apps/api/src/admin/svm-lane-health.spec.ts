import { svmLaneHealth } from './svm-lane-health';

describe('svmLaneHealth (Solana lanes: blockhash deadline, no batch wait)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const lane = (age: number, deadlineInSeconds: number | null, queued = 1) => ({
    queued,
    oldestQueuedAgeSeconds: age,
    earliestDeadline: deadlineInSeconds === null ? null : new Date(now + deadlineInSeconds * 1000),
  });

  it('is running while nothing is queued, whatever the deadline', () => {
    expect(svmLaneHealth(lane(0, -5, 0), 2_000, 20, now)).toBe('running');
    expect(svmLaneHealth(lane(1, 70), 2_000, 20, now)).toBe('running');
  });
  it('is red once a queued payment is within the settlement window of its blockhash deadline, or past it', () => {
    expect(svmLaneHealth(lane(1, 20), 2_000, 20, now)).toBe('stalled');
    expect(svmLaneHealth(lane(1, -3), 2_000, 20, now)).toBe('stalled');
    expect(svmLaneHealth(lane(1, 21), 2_000, 20, now)).toBe('running');
  });
  it('is amber past the EVM amber age and red past the red age', () => {
    expect(svmLaneHealth(lane(11, 60), 2_000, 20, now)).toBe('slow');
    expect(svmLaneHealth(lane(31, 60), 2_000, 20, now)).toBe('stalled');
  });
});
