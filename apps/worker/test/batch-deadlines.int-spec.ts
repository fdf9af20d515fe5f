import { startSettlement, SettlementFixture } from '@tollgate/testing';
import { expectSettledOnChain, payToBalance, settleMany, sum, waitAll } from './settlement-support';

/**
 * Earliest deadline first. Batches hold 3 rows and a lane otherwise waits a full minute
 * (BATCH_MAX_WAIT_MS) before flushing, so only size and deadlines move payments here.
 */
describe('deadline-driven batching', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_SIZE: '3', BATCH_MAX_WAIT_MS: '60000', BATCH_DEADLINE_MARGIN_SECONDS: '45' });
  });
  afterAll(() => f?.stop());

  it('puts a soon-expiring payment queued last into the first batch', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const before = await payToBalance(f);
    // Worker stopped: five ordinary payments (5 min of validity), then one with 100 s left — outside
    // the 45 s deadline margin, so the lane flushes for size, not for the deadline.
    const ordinary = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3, amount: 2_000n + BigInt(i) })), 1);
    const [urgent] = await settleMany(f, [{ payerIndex: 3, amount: 2_999n, validBefore: now + 100n }]);

    await f.startWorker();
    const all = [...ordinary, urgent];
    await waitAll(f, all.map((p) => p.ref), 'confirmed');

    const batches: Array<{ id: string; refs: string[] }> = await f.api.db.query(
      `SELECT b.id, array_agg(p.reference) AS refs FROM settlement_batches b JOIN payments p ON p.batch_id = b.id
        WHERE p.reference = ANY($1) GROUP BY b.id, b.created_at ORDER BY b.created_at`,
      [all.map((p) => p.ref)],
    );
    expect(batches.map((b) => b.refs.length)).toEqual([3, 3]);
    expect(batches[0].refs).toContain(urgent.ref);
    // The rest of the first batch are the oldest-signed ordinary payments (their validBefore is earliest).
    expect(batches[0].refs).toEqual(expect.arrayContaining([ordinary[0].ref, ordinary[1].ref]));
    await expectSettledOnChain(f, all);
    expect(await payToBalance(f)).toBe(before + sum(all.map((p) => p.amount)));
  });

  it('flushes a lane early when a payment nears its validBefore, taking the waiting payments along', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    // Alone, this payment would wait BATCH_MAX_WAIT_MS = 60 s.
    const [waiting] = await settleMany(f, [{ payerIndex: 0, amount: 3_001n }]);
    // 40 s left (verify needs 30 s): inside the 45 s margin, so the lane is due at once.
    const [urgent] = await settleMany(f, [{ payerIndex: 1, amount: 3_002n, validBefore: now + 40n }]);
    // Well before the 60 s the lane would otherwise wait.
    await waitAll(f, [waiting.ref, urgent.ref], 'confirmed', 15_000);
    const rows = await f.api.db.query(`SELECT DISTINCT batch_id FROM payments WHERE reference = ANY($1)`, [[waiting.ref, urgent.ref]]);
    expect(rows).toHaveLength(1);
    await expectSettledOnChain(f, [waiting, urgent]);
  });
});
