import { canTransitionDelivery, FINAL_WEBHOOK_DELIVERY_STATUSES, WEBHOOK_DELIVERY_STATUSES } from './webhook-delivery-status';

describe('webhook delivery state machine', () => {
  const edges = WEBHOOK_DELIVERY_STATUSES.flatMap((from) => WEBHOOK_DELIVERY_STATUSES.map((to) => [from, to] as const));

  it('allows exactly the edges of the diagram', () => {
    const allowed = edges.filter(([from, to]) => canTransitionDelivery(from, to)).map(([from, to]) => `${from}→${to}`);
    expect(allowed.sort()).toEqual(['pending→succeeded', 'pending→failed', 'failed→succeeded'].sort());
  });

  it('never leaves succeeded and never goes back to pending (a replay is a new delivery)', () => {
    expect(FINAL_WEBHOOK_DELIVERY_STATUSES).toEqual(['succeeded']);
    for (const s of WEBHOOK_DELIVERY_STATUSES) {
      expect(canTransitionDelivery('succeeded', s)).toBe(false);
      expect(canTransitionDelivery(s, 'pending')).toBe(false);
    }
  });
});
