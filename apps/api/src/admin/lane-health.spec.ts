import { laneHealth, laneHealthThresholds, laneStallLevel } from './lane-health';

describe('laneHealth', () => {
  const lane = (oldestQueuedAgeSeconds: number, extra: { paused?: boolean; queued?: number } = {}) => ({ paused: false, queued: 1, oldestQueuedAgeSeconds, ...extra });

  it('with the default 2 s flush deadline: amber after 10 s, red after 30 s', () => {
    expect(laneHealthThresholds(2000)).toEqual({ slowAfterSeconds: 10, stalledAfterSeconds: 30 });
    expect(laneHealth(lane(3), 2000)).toBe('running');
    expect(laneHealth(lane(24), 2000)).toBe('slow');
    expect(laneHealth(lane(31), 2000)).toBe('stalled');
  });

  it('scales with a long flush deadline (5× amber, 15× red)', () => {
    expect(laneHealthThresholds(10_000)).toEqual({ slowAfterSeconds: 50, stalledAfterSeconds: 150 });
    expect(laneHealth(lane(40), 10_000)).toBe('running');
  });

  it('an empty lane runs and a paused lane is paused, however old', () => {
    expect(laneHealth(lane(0, { queued: 0 }), 2000)).toBe('running');
    expect(laneHealth(lane(999, { paused: true }), 2000)).toBe('paused');
    expect([laneStallLevel('running'), laneStallLevel('paused'), laneStallLevel('slow'), laneStallLevel('stalled')]).toEqual([0, 0, 1, 2]);
  });
});
