import { getPriority } from 'node:os';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { expectSettledOnChain, mapLimit, payToBalance, settleMany, SettledPayment, spawnWorker, sum, waitAll, WorkerProcess } from './settlement-support';

const claimsOf = (w: WorkerProcess): string[] => [...w.stdout().matchAll(/^TOLLGATE_TEST_CLAIM (\S+)$/gm)].map((m) => m[1]);

/**
 * Two worker processes serve one lane (same network, asset and relayers) while payments keep
 * arriving. Claims use `FOR UPDATE SKIP LOCKED`, so no payment may ever be in two batches: every
 * payment is batched exactly once, the batches' payment sets are disjoint, and nothing settles twice.
 */
describe('two worker processes on one lane', () => {
  let f: SettlementFixture;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    // Small batches and a short wait so that both processes keep claiming.
    f = await startSettlement({ BATCH_MAX_SIZE: '8', BATCH_MAX_WAIT_MS: '100', BATCH_TICK_MS: '20' }, 19);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await f?.stop();
  });

  it('never builds overlapping batches and settles every payment exactly once', async () => {
    const before = await payToBalance(f);
    // The second yields the CPU to the API (WORKER_NICE): a lower priority must not change what it settles.
    workers.push(spawnWorker(f, {}, ['apps/worker/test/fixtures/claim-probe.ts']), spawnWorker(f, { WORKER_NICE: '7' }, ['apps/worker/test/fixtures/claim-probe.ts']));
    // Both must be scheduling before the work arrives, or the first one up could take the backlog alone.
    // Booting two ts-node processes at once takes over a minute on a loaded 2-core machine: wait for the
    // boot itself with its own (long) deadline, then for the first scheduler pass.
    await Promise.all(workers.map((w) => w.ready()));
    expect(workers.map((w) => getPriority(w.pid))).toEqual([0, 7]);
    await eventually('both workers scheduling', async () => workers.every((w) => w.stdout().includes('TOLLGATE_TEST_READY')), 60_000, async () =>
      `(logs: ${workers.map((w) => w.logFile).join(', ')})`,
    );
    // A backlog that is already there when both start, then a steady stream while they run.
    const backlog = await settleMany(f, Array.from({ length: 80 }, (_, i) => ({ payerIndex: i % 6, amount: 9_000n + BigInt(i) })));
    const stream: SettledPayment[] = [];
    await mapLimit(Array.from({ length: 8 }, (_, k) => k), 1, async (k) => {
      stream.push(...(await settleMany(f, Array.from({ length: 10 }, (_, i) => ({ payerIndex: (k + i) % 6, amount: 9_100n + BigInt(k * 10 + i) })), 4)));
    });
    const all = [...backlog, ...stream];
    const refs = all.map((p) => p.ref);
    await waitAll(f, refs, 'confirmed', 90_000, async () => `(logs: ${workers.map((w) => w.logFile).join(', ')})`);

    // Every payment was claimed exactly once (one → batched event), and no claim overlaps another.
    const claims: Array<{ reference: string; batch_id: string }> = await f.api.db.query(
      `SELECT p.reference, e.detail->>'batchId' AS batch_id FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e
        WHERE e.to_status = 'batched' AND p.reference = ANY($1)`,
      [refs],
    );
    expect(claims).toHaveLength(all.length);
    expect(new Set(claims.map((c) => c.reference)).size).toBe(all.length);
    const byBatch = new Map<string, Set<string>>();
    for (const c of claims) byBatch.set(c.batch_id, (byBatch.get(c.batch_id) ?? new Set()).add(c.reference));
    const union = [...byBatch.values()].reduce((n, s) => n + s.size, 0);
    expect(union).toBe(all.length); // disjoint: the sizes add up to the number of payments
    for (const [batchId, set] of byBatch) {
      const [b] = await f.api.db.query(`SELECT payment_count, status FROM settlement_batches WHERE id = $1`, [batchId]);
      expect(b).toEqual({ payment_count: set.size, status: 'confirmed' });
    }

    // Both processes did claim batches, and never the same one.
    const [a, b] = workers.map(claimsOf);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(new Set([...a, ...b])).toEqual(new Set(byBatch.keys()));

    // Nothing settled twice: one inclusion per payment, one AuthorizationUsed each, exact balance.
    const included = await f.api.db.query(
      `SELECT count(*)::int AS n FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE e.to_status = 'included' AND p.reference = ANY($1)`,
      [refs],
    );
    expect(included[0].n).toBe(all.length);
    await expectSettledOnChain(f, all);
    expect(await payToBalance(f)).toBe(before + sum(all.map((p) => p.amount)));
    // Budget: two worker processes compiling TypeScript at start plus 160 payments, on 2 cores that other
    // test files share; the deadlines above name what was late.
  }, 180_000);
});
