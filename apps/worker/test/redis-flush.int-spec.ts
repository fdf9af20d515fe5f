import IORedis from 'ioredis';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { eventsOf, expectSettledOnChain, payToBalance, settleMany, startRedisServer, statuses, sum, waitAll } from './settlement-support';

/**
 * Redis only carries nudges; Postgres is the truth. `FLUSHALL` in the middle of a run — with a batch
 * transaction in flight (its tracking jobs lost) and payments queued (their jobs lost) — must not
 * lose or duplicate a payment: the Postgres-driven lane scheduler claims the queued ones and the
 * sweeper re-derives the tracking. Uses a private redis-server: FLUSHALL on the shared one would wipe
 * the queues of test files running in parallel.
 */
describe('FLUSHALL on Redis mid-run', () => {
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let f: SettlementFixture;
  let admin: IORedis;

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new IORedis(redis.url, { maxRetriesPerRequest: 1 });
    f = await startSettlement({ REDIS_URL: redis.url, BATCH_MAX_WAIT_MS: '200', BATCH_MAX_SIZE: '10', TX_REPLACE_AFTER_MS: '60000' }, 17);
    expect(f.api.config.redisUrl).toBe(redis.url);
    await f.startWorker();
  });
  afterAll(async () => {
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  it('settles everything exactly once after every Redis key was lost', async () => {
    const before = await payToBalance(f);
    // A batch in flight: mined only when the test says so, tracked through delayed Redis jobs.
    await f.chain.test.setAutomine(false);
    const inFlight = await settleMany(f, Array.from({ length: 10 }, (_, i) => ({ payerIndex: i % 4, amount: 6_000n + BigInt(i) })));
    await waitAll(f, inFlight.map((p) => p.ref), 'submitted');
    const jobKeys = (await admin.keys(`${f.api.config.queuePrefix}:*`)).filter((k) => /:\d+$/.test(k) || /:(delayed|wait|active)$/.test(k));
    expect(jobKeys.length).toBeGreaterThan(0);

    // Every job goes (the running worker recreates its bookkeeping keys at once, and job ids restart at 1,
    // so the key space is no evidence either way; what the test proves is that everything still settles).
    expect(await admin.flushall()).toBe('OK');

    // More payments arrive (their payment-queued jobs go to the now empty Redis); the chain resumes.
    const later = await settleMany(f, Array.from({ length: 15 }, (_, i) => ({ payerIndex: i % 4, amount: 6_100n + BigInt(i) })));
    await f.chain.test.mine({ blocks: 1 });
    await f.chain.test.setAutomine(true);
    await waitAll(f, inFlight.map((p) => p.ref), 'confirmed', 30_000);
    await waitAll(f, later.map((p) => p.ref), 'confirmed', 30_000);

    // Second flush while the worker is idle, then one more payment: nothing depends on old keys.
    await admin.flushall();
    const [last] = await settleMany(f, [{ payerIndex: 5, amount: 6_999n }]);
    await waitAll(f, [last.ref], 'confirmed', 30_000);

    const all = [...inFlight, ...later, last];
    await expectSettledOnChain(f, all);
    expect(await payToBalance(f)).toBe(before + sum(all.map((p) => p.amount)));
    for (const p of all) expect((await eventsOf(f, p.ref)).filter((e) => e.to_status === 'included')).toHaveLength(1);
    expect(await statuses(f, all.map((p) => p.ref))).toEqual(all.map(() => 'confirmed'));
    await eventually('no open batches', async () => {
      const [{ open }] = await f.api.db.query(`SELECT count(*)::int AS open FROM settlement_batches WHERE status IN ('building','submitted','included')`);
      return open === 0;
    });
  });
});
