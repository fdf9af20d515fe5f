import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { MerchantRateLimiter } from './merchant-rate-limiter';

/** The per-merchant limiter against the real Redis, and with Redis unreachable. */
describe('MerchantRateLimiter', () => {
  const clients: IORedis[] = [];
  const client = (url = 'redis://127.0.0.1:6379') => {
    const c = new IORedis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 500, retryStrategy: () => null });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  afterAll(() => clients.forEach((c) => c.disconnect()));

  /** Runs `attempt` until its calls fall within one 1-second window (measured from before the first call). */
  async function withinOneWindow<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      const t0 = Date.now();
      const out = await attempt();
      if (Date.now() - t0 < 900 || i === 4) return out;
    }
  }

  it('two limiters on one prefix (two API processes) draw from one budget; another merchant is unaffected', async () => {
    const prefix = `test-rate-${randomUUID()}`;
    const a = new MerchantRateLimiter(client(), prefix);
    const b = new MerchantRateLimiter(client(), prefix);
    await eventuallyReady(clients[0]);
    await eventuallyReady(clients[1]);
    const verdicts = await withinOneWindow(async () => {
      const merchant = randomUUID();
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await a.consume(merchant, 3));
      for (let i = 0; i < 3; i++) out.push(await b.consume(merchant, 3));
      out.push(await b.consume(randomUUID(), 3));
      return out;
    });
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false, false, false, true]);
    expect(verdicts[3]).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('0 means unlimited', async () => {
    const l = new MerchantRateLimiter(client(), `test-rate-${randomUUID()}`);
    const merchant = randomUUID();
    for (let i = 0; i < 20; i++) expect(await l.consume(merchant, 0)).toEqual({ allowed: true });
  });

  it('with Redis unreachable, counts in memory at once instead of refusing or waiting', async () => {
    const l = new MerchantRateLimiter(client('redis://127.0.0.1:1'), `test-rate-${randomUUID()}`);
    const merchant = randomUUID();
    const t0 = Date.now();
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await l.consume(merchant, 2)).allowed);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(verdicts).toEqual([true, true, false]);
  });
});

async function eventuallyReady(c: IORedis): Promise<void> {
  const deadline = Date.now() + 5000;
  while (c.status !== 'ready' && Date.now() < deadline) await new Promise((r) => c.once('ready', r).once('end', r));
}
