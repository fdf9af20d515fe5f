import { FacilitatorFixture, merchantClient, startFacilitator } from '@tollgate/testing';

/**
 * Which settlement mode a `/settle` gets, as the merchant sees it (README "Settlement modes"): the
 * `x-tollgate-settlement-mode` header when sent, else confirmed at or above the merchant's threshold, else
 * the merchant's default. No worker runs: a confirmed settle answers when its short wait times out; the mode
 * is read from the recorded payment.
 */
describe('settlement mode of a /settle', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator({ CONFIRMED_SETTLE_TIMEOUT_MS: '100' });
    const policy = await merchantClient(f.api.baseUrl, f.apiKey).patch('/v1/merchant/settlement-policy', { defaultMode: 'deferred', confirmedThreshold: '50000' });
    expect(policy.status).toBe(200);
  });
  afterAll(() => f.stop());

  /** Settles `amount` (with `header` when given) and returns the mode the payment was recorded with. */
  async function modeOf(amount: bigint, header?: 'deferred' | 'confirmed'): Promise<string> {
    const body = await f.validBody({ amount });
    const res = await f.settle(body, header ? { 'x-tollgate-settlement-mode': header } : {});
    expect(res.status).toBe(200);
    const nonce: string = body.paymentPayload.payload.authorization.nonce;
    const [row] = await f.api.db.query(`SELECT settlement_mode FROM payments WHERE nonce = $1`, [nonce.toLowerCase()]);
    return row.settlement_mode;
  }

  it('below the threshold: the default mode', async () => {
    expect(await modeOf(49_999n)).toBe('deferred');
  });

  it('at the threshold: confirmed', async () => {
    expect(await modeOf(50_000n)).toBe('confirmed');
  });

  it('the header wins over the policy, both ways', async () => {
    expect(await modeOf(60_000n, 'deferred')).toBe('deferred');
    expect(await modeOf(1_000n, 'confirmed')).toBe('confirmed');
  });
});
