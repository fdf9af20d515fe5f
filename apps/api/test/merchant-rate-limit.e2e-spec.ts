import { FacilitatorFixture, startFacilitator, startTestApi, TestApi } from '@tollgate/testing';
import { MerchantsService } from '../src/merchants/merchants.service';

/**
 * Per-merchant rate limits on /verify and /settle (MERCHANT_RATE_LIMIT_PER_SECOND, or the merchant's own
 * `rate_limit_per_second`), counted in Redis across API processes. Requests carry an empty body: the limit is
 * applied before the body is read, so a malformed request (400) counts as much as a payment would.
 */
describe('per-merchant rate limits', () => {
  let f: FacilitatorFixture;
  let second: TestApi;
  /** A merchant with its own limit of 3 per second. */
  let limited: string;
  /** A merchant without a limit (0), to prove another merchant's burst does not touch it. */
  let unlimited: string;

  beforeAll(async () => {
    const env = { MERCHANT_RATE_LIMIT_PER_SECOND: '4' };
    f = await startFacilitator(env, 29);
    second = await startTestApi({ sharing: f.api, env });
    const merchants = f.api.app.get(MerchantsService);
    const a = await merchants.create({ name: 'Limited', payTo: [`0x${'c3'.repeat(20)}`] });
    const b = await merchants.create({ name: 'Unlimited', payTo: [`0x${'d4'.repeat(20)}`] });
    // Set before either key is first used, so no process has an authentication cached.
    await f.api.db.query(`UPDATE merchants SET rate_limit_per_second = 3 WHERE id = $1`, [a.merchant.id]);
    await f.api.db.query(`UPDATE merchants SET rate_limit_per_second = 0 WHERE id = $1`, [b.merchant.id]);
    limited = a.apiKey;
    unlimited = b.apiKey;
  });
  afterAll(async () => {
    await second?.stop();
    await f?.stop();
  });

  async function call(api: TestApi, key: string, op: 'verify' | 'settle' = 'verify'): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${api.baseUrl}/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: '{}' });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  /**
   * Runs `attempt` until all its requests fell within one 1-second window of the limiter (the whole attempt took
   * under 900 ms from before its first request), so counts are exact rather than split across two windows. On a
   * loaded machine an attempt can take longer: it is then repeated (never judged), up to 30 times.
   */
  async function withinOneWindow<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // a fresh window for every merchant
      const t0 = Date.now();
      const out = await attempt();
      if (Date.now() - t0 < 900) return out;
    }
    throw new Error('no attempt fitted in one limiter window (each took over 900 ms): the machine is too slow for this check');
  }

  it('a burst over the merchant’s limit gets 429 with Retry-After and an x402 body; another merchant is unaffected', async () => {
    const { burst, other, settle } = await withinOneWindow(async () => {
      const burst = await Promise.all(Array.from({ length: 8 }, () => call(f.api, limited)));
      const settle = await call(f.api, limited, 'settle');
      const other = await Promise.all(Array.from({ length: 8 }, () => call(f.api, unlimited)));
      return { burst, other, settle };
    });
    expect(burst.filter((r) => r.status === 429)).toHaveLength(5);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toMatchObject({ isValid: false, invalidReason: 'tollgate_rate_limited' });
    expect(settle.status).toBe(429);
    expect(settle.body).toMatchObject({ success: false, errorReason: 'tollgate_rate_limited', transaction: '' });
    expect(other.map((r) => r.status)).toEqual(Array(8).fill(400));
  });

  it('two API processes share one budget', async () => {
    const { first, then } = await withinOneWindow(async () => {
      const first = await Promise.all(Array.from({ length: 3 }, () => call(f.api, limited)));
      const then = await Promise.all(Array.from({ length: 3 }, () => call(second, limited)));
      return { first, then };
    });
    expect(first.map((r) => r.status)).toEqual([400, 400, 400]);
    expect(then.map((r) => r.status)).toEqual([429, 429, 429]);
  });

  it('a merchant without its own limit gets MERCHANT_RATE_LIMIT_PER_SECOND', async () => {
    const burst = await withinOneWindow(() => Promise.all(Array.from({ length: 7 }, (_, i) => call(i % 2 ? second : f.api, f.apiKey))));
    expect(burst.filter((r) => r.status === 400)).toHaveLength(4);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(3);
  });
});
