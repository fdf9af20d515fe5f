import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';

describe('public payment status lookup', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator({ PUBLIC_RATE_LIMIT_PER_MINUTE: '3' }, 31);
  });
  afterAll(() => f.stop());

  it('reveals only what the payer knows, and limits unauthenticated clients with 429 + Retry-After', async () => {
    const settled = await f.settle(await f.validBody());
    const ref = settled.body.extensions.tollgate.reference;
    const url = `${f.api.baseUrl}/v1/payments/${ref}/status`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ reference: ref, status: 'queued', network: f.api.chain.deployment.network, transaction: null });
    await fetch(url);
    await fetch(url);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Facilitator traffic is not limited by IP.
    for (let i = 0; i < 5; i++) expect((await f.verify(await f.validBody())).status).toBe(200);
  });
});
