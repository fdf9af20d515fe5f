import type { JobQueues } from '@tollgate/queue';
import { LaneNudger, NUDGE_GATHER_MS } from './lane-nudger.service';

/** Gathering alone: which jobs a burst of queued payments turns into (the queue is a recorder here). */
describe('LaneNudger', () => {
  const added: Array<{ name: string; data: { network: string; asset: string; paymentIds: string[] } }> = [];
  const queues = { add: async (name: string, data: never) => void added.push({ name, data }) } as unknown as JobQueues;
  beforeEach(() => {
    added.length = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('turns a burst into one payment-queued job per lane, listing every payment once', async () => {
    const nudger = new LaneNudger(queues);
    for (let i = 0; i < 30; i++) nudger.queued(`p${i}`, 'eip155:31337', i % 3 === 0 ? '0xB' : '0xA');
    expect(added).toHaveLength(0); // nothing before the gathering window closes
    await jest.advanceTimersByTimeAsync(NUDGE_GATHER_MS);
    expect(added.map((j) => [j.name, j.data.asset, j.data.paymentIds.length]).sort()).toEqual([
      ['payment-queued', '0xa', 20],
      ['payment-queued', '0xb', 10],
    ]);
    expect(new Set(added.flatMap((j) => j.data.paymentIds)).size).toBe(30);
  });

  it('starts a new job for payments queued after the window closed', async () => {
    const nudger = new LaneNudger(queues);
    nudger.queued('p1', 'eip155:31337', '0xA');
    await jest.advanceTimersByTimeAsync(NUDGE_GATHER_MS);
    nudger.queued('p2', 'eip155:31337', '0xA');
    await jest.advanceTimersByTimeAsync(NUDGE_GATHER_MS);
    expect(added.map((j) => j.data.paymentIds)).toEqual([['p1'], ['p2']]);
  });

  it('lists the payment references beside the ids (what Bull Board shows an operator)', async () => {
    const nudger = new LaneNudger(queues);
    nudger.queued('p1', 'eip155:31337', '0xA', undefined, 'pay_one');
    nudger.queued('p2', 'eip155:31337', '0xA', undefined, 'pay_two');
    await jest.advanceTimersByTimeAsync(NUDGE_GATHER_MS);
    expect(added.map((j) => j.data)).toEqual([{ network: 'eip155:31337', asset: '0xa', paymentIds: ['p1', 'p2'], references: ['pay_one', 'pay_two'] }]);
  });

  it('sends what it gathered when the API shuts down', async () => {
    const nudger = new LaneNudger(queues);
    nudger.queued('p1', 'eip155:31337', '0xA');
    await nudger.onApplicationShutdown();
    expect(added.map((j) => j.data.paymentIds)).toEqual([['p1']]);
  });
});
