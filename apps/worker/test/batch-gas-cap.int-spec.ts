import { Hex } from 'viem';
import { startSettlement, SettlementFixture } from '@tollgate/testing';

/** Fits about ten rows to one payee (≈ 40k gas each, padded 30 %): small, so the test runs fast. */
const CAP = 600_000;

/**
 * A lane holding more rows than fit under the network's transaction gas cap (EIP-7825: 2^24 from Osaka on;
 * here a small TX_GAS_CAP) is settled in several transactions, each asking for at most the cap, earliest
 * deadlines first, and every payment is confirmed.
 */
describe('batches sized under the transaction gas cap (real anvil, Postgres, Redis)', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', BATCH_MAX_SIZE: '100', TX_GAS_CAP: String(CAP) });
  });
  afterAll(() => f.stop());

  it('splits a 30-row lane into transactions under the cap and confirms every payment', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    // Distinct deadlines, settled in shuffled order: the first transaction must carry the earliest ones.
    const order = Array.from({ length: 30 }, (_, i) => i).sort(() => f.rand() - 0.5);
    const signed = await Promise.all(order.map((i) => f.sign({ payerIndex: i % 6, amount: 1_000n + BigInt(i), validBefore: now + 3_600n + BigInt(i) * 10n })));
    const answers = await Promise.all(signed.map((s) => f.settle(s.body)));
    expect(answers.every((a) => a.body.success)).toBe(true);
    const refs = answers.map((a) => a.body.extensions.tollgate.reference);

    // Everything is queued before the worker starts, so its first claim takes the whole lane.
    await f.startWorker();
    await f.waitForStatuses(refs, (s) => s.every((x) => x === 'confirmed' || x === 'failed'), 60_000);

    const rows: Array<{ status: string; tx_hash: string; valid_before: string }> = await f.api.db.query(
      `SELECT status, tx_hash, valid_before::text FROM payments WHERE reference = ANY($1)`,
      [refs],
    );
    expect(rows.map((r) => r.status)).toEqual(refs.map(() => 'confirmed'));
    const byTx = new Map<string, bigint[]>();
    for (const r of rows) byTx.set(r.tx_hash, [...(byTx.get(r.tx_hash) ?? []), BigInt(r.valid_before)]);
    expect(byTx.size).toBeGreaterThanOrEqual(3);

    const txs = await Promise.all([...byTx.keys()].map((hash) => f.chain.public.getTransaction({ hash: hash as Hex })));
    for (const tx of txs) expect(tx.gas).toBeLessThanOrEqual(BigInt(CAP));

    // The transaction sent first (lowest nonce of its relayer's first use) holds the earliest deadlines.
    const first = txs.reduce((a, b) => (a.blockNumber! < b.blockNumber! || (a.blockNumber === b.blockNumber && a.transactionIndex! < b.transactionIndex!) ? a : b));
    const firstDeadlines = byTx.get(first.hash.toLowerCase())!;
    const others = rows.map((r) => BigInt(r.valid_before)).filter((v) => !firstDeadlines.includes(v));
    const latestInFirst = firstDeadlines.reduce((a, b) => (a > b ? a : b));
    expect(others.every((v) => v > latestInFirst)).toBe(true);

    // Nothing left behind in a batch that will never be sent.
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE status = 'batched'`);
    expect(n).toBe(0);
  });
});
