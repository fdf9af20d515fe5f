import { startSettlement, SettlementFixture, tokenBalance } from '@tollgate/testing';

describe('batch settlement (real anvil, Postgres, Redis)', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '300' });
    await f.startWorker();
  });
  afterAll(() => f.stop());

  it('settles a lone payment with a direct transferWithAuthorization and confirms it', async () => {
    const before = await tokenBalance(f, f.payTo);
    const { body } = await f.sign({ amount: 12_345n });
    const res = await f.settle(body);
    expect(res.body.success).toBe(true);
    const ref = res.body.extensions.tollgate.reference;
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    const row = await f.statusOf(ref);
    expect(row.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const [batch] = await f.api.db.query(`SELECT kind, payment_count, status FROM settlement_batches WHERE id = $1`, [row.batch_id]);
    expect(batch).toEqual({ kind: 'direct', payment_count: 1, status: 'confirmed' });
    const tx = await f.chain.public.getTransaction({ hash: row.tx_hash as `0x${string}` });
    expect(tx.to?.toLowerCase()).toBe(f.api.chain.deployment.token.address.toLowerCase());
    expect(await tokenBalance(f, f.payTo)).toBe(before + 12_345n);
    // The cost is booked as the chain charged it: one transaction, its gas and fee.
    const receipt = await f.chain.public.getTransactionReceipt({ hash: row.tx_hash as `0x${string}` });
    const [cost] = await f.api.db.query(`SELECT gas_used::text, fee_paid::text FROM settlement_batches WHERE id = $1`, [row.batch_id]);
    expect(cost).toEqual({ gas_used: receipt.gasUsed.toString(), fee_paid: (receipt.gasUsed * receipt.effectiveGasPrice).toString() });
    expect(await f.api.db.query(`SELECT purpose, status FROM relayer_transactions WHERE batch_id = $1`, [row.batch_id])).toEqual([{ purpose: 'settle', status: 'included' }]);
  });

  it('settles concurrent payments in one Multicall3 batch, each with its own log index', async () => {
    const signed = await Promise.all(Array.from({ length: 12 }, (_, i) => f.sign({ payerIndex: i % 4, amount: 1_000n + BigInt(i) })));
    // "Concurrent" must not depend on the machine's speed: on a loaded machine the 12 answers can spread past
    // BATCH_MAX_WAIT_MS. Hold the lane (as an operator's pause does) until all 12 are queued.
    const lane = [signed[0].body.paymentRequirements.network, signed[0].body.paymentRequirements.asset.toLowerCase()];
    await f.api.db.query(`INSERT INTO lanes (network, asset, paused) VALUES ($1, $2, true) ON CONFLICT (network, asset) DO UPDATE SET paused = true`, lane);
    const answers = await Promise.all(signed.map((s) => f.settle(s.body)));
    expect(answers.every((a) => a.body.success)).toBe(true);
    await f.api.db.query(`UPDATE lanes SET paused = false WHERE network = $1 AND asset = $2`, lane);
    const refs = answers.map((a) => a.body.extensions.tollgate.reference);
    await f.waitForStatuses(refs, (s) => s.every((x) => x === 'confirmed'));
    const rows = await f.api.db.query(`SELECT batch_id, tx_hash, log_index FROM payments WHERE reference = ANY($1)`, [refs]);
    const batches = new Set(rows.map((r: { batch_id: string }) => r.batch_id));
    expect(batches.size).toBe(1);
    const [batch] = await f.api.db.query(`SELECT kind, payment_count FROM settlement_batches WHERE id = $1`, [[...batches][0]]);
    expect(batch).toEqual({ kind: 'multicall', payment_count: 12 });
    expect(new Set(rows.map((r: { log_index: number }) => r.log_index)).size).toBe(12);
    const events = await f.api.db.query(
      `SELECT array_agg(to_status ORDER BY e.id) AS path FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1`,
      [refs[0]],
    );
    expect(events[0].path).toEqual(['verified', 'queued', 'batched', 'submitted', 'included', 'confirmed']);
  });
});
