import { canTransition, FINAL_STATUSES, PAYMENT_STATUSES, PAYMENT_TRANSITIONS, PaymentStatus, UNSETTLED_STATUSES, VOIDABLE_STATUSES } from './payment-status';

describe('payment state machine', () => {
  const edges = PAYMENT_STATUSES.flatMap((from) => PAYMENT_STATUSES.map((to) => [from, to] as const));

  it('allows exactly the edges of the lifecycle diagram', () => {
    const allowed = edges.filter(([from, to]) => canTransition(from, to)).map(([from, to]) => `${from}→${to}`);
    expect(allowed.sort()).toEqual(
      [
        'verified→queued', 'verified→lapsed', 'verified→failed',
        'queued→batched', 'queued→included', 'queued→failed',
        'batched→submitted', 'batched→queued', 'batched→included', 'batched→failed',
        'submitted→included', 'submitted→queued', 'submitted→failed',
        'included→confirmed', 'included→queued',
        'failed→queued',
      ].sort(),
    );
  });

  it('never leaves confirmed or lapsed, and never moves a payment back to verified', () => {
    for (const to of PAYMENT_STATUSES) {
      expect(canTransition('confirmed', to)).toBe(false);
      expect(canTransition('lapsed', to)).toBe(false);
      expect(canTransition(to, 'verified')).toBe(false);
    }
  });

  it('lets an operator void only what was never broadcast, and every void target is a real edge', () => {
    expect(VOIDABLE_STATUSES).toEqual(['verified', 'queued', 'batched']);
    for (const s of VOIDABLE_STATUSES) expect(canTransition(s, 'failed')).toBe(true);
  });

  it('counts as unsettled (exposure guard) exactly the statuses before inclusion', () => {
    expect([...UNSETTLED_STATUSES].sort()).toEqual(['batched', 'queued', 'submitted', 'verified']);
    for (const s of UNSETTLED_STATUSES) expect(FINAL_STATUSES).not.toContain(s);
  });

  it('reaches every status from verified', () => {
    const seen = new Set<PaymentStatus>(['verified']);
    const stack: PaymentStatus[] = ['verified'];
    while (stack.length) {
      for (const to of PAYMENT_TRANSITIONS[stack.pop()!]) {
        if (!seen.has(to)) {
          seen.add(to);
          stack.push(to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...PAYMENT_STATUSES].sort());
  });
});
