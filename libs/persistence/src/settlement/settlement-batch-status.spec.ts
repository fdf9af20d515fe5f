import { canTransitionBatch, FINAL_BATCH_STATUSES, IN_FLIGHT_BATCH_STATUSES, SETTLEMENT_BATCH_STATUSES, SETTLEMENT_BATCH_TRANSITIONS, SettlementBatchStatus, TRACKED_BATCH_STATUSES } from './settlement-batch-status';

describe('settlement batch state machine', () => {
  const edges = SETTLEMENT_BATCH_STATUSES.flatMap((from) => SETTLEMENT_BATCH_STATUSES.map((to) => [from, to] as const));

  it('allows exactly the edges of the batch diagram', () => {
    const allowed = edges.filter(([from, to]) => canTransitionBatch(from, to)).map(([from, to]) => `${from}→${to}`);
    expect(allowed.sort()).toEqual(
      [
        'building→submitted', 'building→failed',
        'submitted→included', 'submitted→failed', 'submitted→cancelled',
        'included→confirmed', 'included→failed',
        'confirmed→included', 'failed→included', 'cancelled→included',
      ].sort(),
    );
  });

  it('never goes back to building or submitted, and a final status only revives to included', () => {
    for (const from of SETTLEMENT_BATCH_STATUSES) {
      expect(canTransitionBatch(from, 'building')).toBe(false);
      expect(canTransitionBatch(from, 'submitted')).toBe(from === 'building');
    }
    for (const s of FINAL_BATCH_STATUSES) expect(SETTLEMENT_BATCH_TRANSITIONS[s]).toEqual(['included']);
  });

  it('counts building and submitted as holding a relayer, and follows those plus included', () => {
    expect([...IN_FLIGHT_BATCH_STATUSES].sort()).toEqual(['building', 'submitted']);
    expect([...TRACKED_BATCH_STATUSES].sort()).toEqual(['building', 'included', 'submitted']);
    for (const s of TRACKED_BATCH_STATUSES) expect(FINAL_BATCH_STATUSES).not.toContain(s);
    expect([...TRACKED_BATCH_STATUSES, ...FINAL_BATCH_STATUSES].sort()).toEqual([...SETTLEMENT_BATCH_STATUSES].sort());
  });

  it('reaches every status from building', () => {
    const seen = new Set<SettlementBatchStatus>(['building']);
    const stack: SettlementBatchStatus[] = ['building'];
    while (stack.length) {
      for (const to of SETTLEMENT_BATCH_TRANSITIONS[stack.pop()!]) if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
    expect([...seen].sort()).toEqual([...SETTLEMENT_BATCH_STATUSES].sort());
  });
});
