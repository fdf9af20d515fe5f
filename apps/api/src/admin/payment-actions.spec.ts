import { offeredActions } from './payment-actions';

describe('offeredActions (which buttons the payment page shows)', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const failed = (over: Record<string, unknown> = {}) => ({
    status: 'failed',
    network: 'eip155:31337',
    queued_at: '2026-01-01T11:59:00Z',
    expires_at: new Date(now + 600_000).toISOString(),
    ...over,
  });

  it('offers retry for a failed payment that was queued and still leaves the settlement window', () => {
    expect(offeredActions(failed(), 30, now)).toEqual({ retry: true, void: false });
  });

  it('offers no retry where the worker would certainly refuse it, and says why', () => {
    expect(offeredActions(failed({ expires_at: new Date(now - 1000).toISOString() }), 30, now)).toMatchObject({ retry: false, none: expect.stringMatching(/expired at 2026-01-01T11:59:59.000Z/) });
    expect(offeredActions(failed({ expires_at: new Date(now + 20_000).toISOString() }), 30, now)).toMatchObject({ retry: false, none: expect.stringMatching(/expires in 20 s, less than the 30 s/) });
    expect(offeredActions(failed({ queued_at: null }), 30, now)).toMatchObject({ retry: false, none: expect.stringMatching(/never queued/) });
    expect(offeredActions(failed(), null, now)).toMatchObject({ retry: false, none: expect.stringMatching(/not served/) });
  });

  it('offers void only before broadcast, and names the final states instead of an empty box', () => {
    for (const status of ['verified', 'queued', 'batched']) expect(offeredActions(failed({ status }), 30, now)).toEqual({ retry: false, void: true });
    expect(offeredActions(failed({ status: 'submitted' }), 30, now).none).toMatch(/Already broadcast/);
    expect(offeredActions(failed({ status: 'confirmed' }), 30, now)).toEqual({ retry: false, void: false, none: 'Confirmed payments are final.' });
    expect(offeredActions(failed({ status: 'lapsed' }), 30, now).none).toMatch(/lapsed payment is final/);
  });
});
