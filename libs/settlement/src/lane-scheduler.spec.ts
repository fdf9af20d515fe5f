import { LaneScheduler, LaneState, RPC_FAILURE_BACKOFF_MS } from './lane-scheduler';
import type { SettlementContext } from './settlement-context';

/** The flush decision alone: a pure function of the lane's Postgres state, the settings and the clock. */
describe('LaneScheduler.dueReason (when a lane flushes)', () => {
  const settlement = { maxBatchSize: 100, maxWaitMs: 2_000, deadlineMarginSeconds: 45 };
  // A full batch is maxBatchSize rows here; how the gas cap lowers it is batch-sizing.spec's subject.
  const scheduler = new LaneScheduler({ config: { settlement }, batchRowLimit: () => settlement.maxBatchSize } as unknown as SettlementContext);
  const now = Date.parse('2026-12-05T12:00:00Z');
  const lane = (o: Partial<LaneState> = {}): LaneState => ({
    network: 'eip155:31337',
    asset: '0x0000000000000000000000000000000000000001',
    queued: 1,
    oldestQueuedAt: new Date(now - 100),
    earliestExpiry: new Date(now + 300_000),
    paused: false,
    flushRequested: false,
    lastRpcFailureAt: null,
    ...o,
  });

  it('waits while the lane is young, small and far from every deadline', () => {
    expect(scheduler.dueReason(lane(), now)).toBeNull();
  });

  it('flushes a full lane at once', () => {
    expect(scheduler.dueReason(lane({ queued: 100 }), now)).toBe('size');
    expect(scheduler.dueReason(lane({ queued: 99 }), now)).toBeNull();
  });

  it('flushes when the oldest payment has waited maxWait', () => {
    expect(scheduler.dueReason(lane({ oldestQueuedAt: new Date(now - 2_000) }), now)).toBe('age');
    expect(scheduler.dueReason(lane({ oldestQueuedAt: new Date(now - 1_999) }), now)).toBeNull();
  });

  it('flushes when the earliest validBefore comes within the safety margin, before any age', () => {
    expect(scheduler.dueReason(lane({ earliestExpiry: new Date(now + 45_000), oldestQueuedAt: new Date(now - 5_000) }), now)).toBe('deadline');
    expect(scheduler.dueReason(lane({ earliestExpiry: new Date(now + 45_001) }), now)).toBeNull();
  });

  it('flushes when an operator asked, whatever the lane holds', () => {
    expect(scheduler.dueReason(lane({ flushRequested: true }), now)).toBe('requested');
  });

  it('never flushes a paused lane, not even a full one or one an operator asked to flush', () => {
    expect(scheduler.dueReason(lane({ paused: true, queued: 500, flushRequested: true, earliestExpiry: new Date(now) }), now)).toBeNull();
  });

  it('backs off for RPC_FAILURE_BACKOFF_MS after a batch was abandoned on a permanent RPC error', () => {
    const failed = lane({ queued: 100, lastRpcFailureAt: new Date(now) });
    expect(scheduler.dueReason(failed, now + RPC_FAILURE_BACKOFF_MS - 1)).toBeNull();
    expect(scheduler.dueReason(failed, now + RPC_FAILURE_BACKOFF_MS)).toBe('size');
  });
});
