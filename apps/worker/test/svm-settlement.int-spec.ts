import { mapLimit } from './settlement-support';
import { startSvmSettlement, type SvmSettlementFixture } from './svm-settlement-support';

/**
 * Solana settlement end to end (issue #15) on the litesvm devchain, real Postgres and the real API: a payer's
 * transaction is verified, queued by /settle, co-signed by the fee payer it names, stored, broadcast and
 * tracked to `confirmed`, exactly once — under duplicate settles, a worker stopped between storing and
 * broadcasting, an expired blockhash, and many payments across two fee payers.
 */
describe('Solana settlement', () => {
  let x: SvmSettlementFixture;
  const merchantAta = () => x.svm.merchants[0].tokenAccount;

  beforeAll(async () => {
    x = await startSvmSettlement(4);
  });
  afterAll(async () => {
    await x?.stop();
  });

  const refOf = (res: { body: any }): string => res.body.extensions.tollgate.reference;
  const svmRow = async (ref: string) =>
    (await x.f.api.db.query(`SELECT s.* FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = $1`, [ref]))[0];
  const events = async (ref: string): Promise<string[]> =>
    (await x.f.api.db.query(`SELECT e.to_status FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`, [ref])).map(
      (r: { to_status: string }) => r.to_status,
    );

  it('verify → settle → confirmed: co-signed by the named fee payer, stored before broadcast, tokens moved once', async () => {
    const body = await x.body({ payer: 0, feePayer: 1, amount: 2_500n });
    const before = { merchant: x.tokens(merchantAta()), payer: x.tokens(x.svm.payers[0].tokenAccount) };
    const settled = await x.settle(body);
    expect(settled).toMatchObject({ status: 200, body: { success: true, network: x.svm.network } });
    const ref = refOf(settled);
    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'confirmed');
      // The balance gauge's source: every fee payer's SOL, read at start.
      expect(w.balances.map((b) => b.feePayer)).toEqual(x.svm.feePayers.map((k) => k.address));
      expect(w.balances.every((b) => b.lamports > 0n && b.network === x.svm.network)).toBe(true);
    } finally {
      await w.stop();
    }
    const row = await svmRow(ref);
    expect(row.fee_payer).toBe(x.svm.feePayers[1].address);
    const [p] = await x.f.api.db.query(`SELECT tx_hash, block_number FROM payments WHERE reference = $1`, [ref]);
    expect(p.tx_hash).toBe(row.signature);
    expect(p.block_number).toBe(String(x.svm.chain.status(row.signature)!.slot));
    expect(x.svm.chain.status(row.signature)!.err).toBeNull();
    expect(x.tokens(merchantAta()) - before.merchant).toBe(2_500n);
    expect(before.payer - x.tokens(x.svm.payers[0].tokenAccount)).toBe(2_500n);
    expect(await events(ref)).toEqual(['verified', 'queued', 'batched', 'submitted', 'included', 'confirmed']);
  });

  it('50 concurrent settles of one payment queue it once and it settles once', async () => {
    const body = await x.body({ payer: 1, amount: 1_234n });
    const before = x.tokens(merchantAta());
    const answers = await Promise.all(Array.from({ length: 50 }, () => x.settle(body)));
    // An identical repeat of a queued settle answers success with the same reference (deferred settle is
    // idempotent); what must be single is the payment, its queueing and its transaction.
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const refs = new Set(answers.filter((a) => a.body.success).map(refOf));
    expect(refs.size).toBe(1);
    const [ref] = [...refs];
    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'confirmed');
    } finally {
      await w.stop();
    }
    expect((await events(ref)).filter((s) => s === 'queued')).toHaveLength(1);
    expect(await x.f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE reference = $1`, [ref])).toEqual([{ n: 1 }]);
    expect(x.tokens(merchantAta()) - before).toBe(1_234n);
    expect(await x.f.api.db.query(`SELECT count(*)::int AS n FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = $1`, [ref])).toEqual([{ n: 1 }]);
  });

  it('a payer who spent the tokens after verify: the transaction lands with an error and the payment fails insufficient_funds', async () => {
    const payerAta = x.svm.payers[3].tokenAccount;
    const held = x.tokens(payerAta);
    const ref = refOf(await x.settle(await x.body({ payer: 3, amount: 900n })));
    x.setTokens(payerAta, 10n);
    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'failed');
    } finally {
      await w.stop();
      x.setTokens(payerAta, held);
    }
    const [p] = await x.f.api.db.query(`SELECT id, failure_reason, failure_message, tx_hash FROM payments WHERE reference = $1`, [ref]);
    expect(p.failure_reason).toBe('insufficient_funds');
    expect(p.failure_message).toMatch(/InstructionError/);
    expect(x.svm.chain.status(p.tx_hash)!.err).not.toBeNull();
    expect(await x.f.api.db.query(`SELECT event_type FROM webhook_deliveries WHERE payment_id = $1`, [p.id])).toEqual([{ event_type: 'payment.failed' }]);
  });

  it('a fee payer low on SOL signs nothing new (its payments wait, queued) until refilled', async () => {
    const feePayer = x.svm.feePayers[1].address;
    // Verify simulates with the fee payer, so the balance drops after the payment was queued.
    const ref = refOf(await x.settle(await x.body({ payer: 0, feePayer: 1, amount: 321n })));
    const acc = x.svm.chain.svm.getAccount(feePayer as never) as unknown as { lamports: bigint };
    const lamports = acc.lamports;
    x.svm.chain.svm.setAccount({ ...acc, lamports: 1_000n } as never);
    const low = await x.startWorker();
    try {
      expect(low.balances.find((b) => b.feePayer === feePayer)?.lamports).toBe(1_000n);
      await new Promise((r) => setTimeout(r, 600));
      expect(await x.statusOf(ref)).toBe('queued');
    } finally {
      await low.stop();
      x.svm.chain.svm.setAccount({ ...x.svm.chain.svm.getAccount(feePayer as never), lamports } as never);
    }
    const refilled = await x.startWorker();
    try {
      await x.waitFor([ref], 'confirmed');
    } finally {
      await refilled.stop();
    }
  });

  it('a worker stopped after storing and before broadcasting loses nothing: the next one broadcasts the stored bytes, once', async () => {
    const body = await x.body({ payer: 2, amount: 777n });
    const before = x.tokens(merchantAta());
    const ref = refOf(await x.settle(body));
    x.gate.hold('sendTransaction');
    const first = await x.startWorker();
    const until = Date.now() + 20_000;
    while (!x.gate.heldMethods().includes('sendTransaction')) {
      if (Date.now() > until) throw new Error('no sendTransaction held');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stored = await svmRow(ref);
    expect(await x.statusOf(ref)).toBe('batched');
    const stopping = first.stop();
    x.gate.drop(); // the broadcast never reaches the chain: as if the process died mid-call
    await stopping;
    expect(x.svm.chain.status(stored.signature)).toBeUndefined();
    expect(x.tokens(merchantAta())).toBe(before);
    x.gate.open();
    const second = await x.startWorker();
    try {
      await x.waitFor([ref], 'confirmed');
    } finally {
      await second.stop();
    }
    const after = await svmRow(ref);
    expect(after.signature).toBe(stored.signature);
    expect(after.wire_transaction).toBe(stored.wire_transaction);
    expect(x.tokens(merchantAta()) - before).toBe(777n);
  });

  it('a blockhash that expires before the transaction lands ends failed (tollgate_blockhash_expired) with a payment.failed delivery', async () => {
    const body = await x.body({ payer: 3, amount: 555n });
    const before = x.tokens(merchantAta());
    const ref = refOf(await x.settle(body));
    await fetch(x.svm.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'devchain_expireBlockhash', params: [] }) });
    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'failed');
    } finally {
      await w.stop();
    }
    const [p] = await x.f.api.db.query(`SELECT id, failure_reason, failure_message FROM payments WHERE reference = $1`, [ref]);
    expect(p.failure_reason).toBe('tollgate_blockhash_expired');
    expect(p.failure_message).toMatch(/expired before the transaction landed/);
    expect(await x.f.api.db.query(`SELECT event_type FROM webhook_deliveries WHERE payment_id = $1`, [p.id])).toEqual([{ event_type: 'payment.failed' }]);
    expect(x.tokens(merchantAta())).toBe(before);
  });

  it(`${Number(process.env.SVM_SETTLE_COUNT ?? 200)} concurrent payments through two fee payers and two workers all confirm, each once`, async () => {
    const n = Number(process.env.SVM_SETTLE_COUNT ?? 200);
    const before = x.tokens(merchantAta());
    const bodies = await mapLimit(Array.from({ length: n }, (_, i) => i), 16, (i) => x.body({ payer: i % 4, feePayer: i % 2, amount: 100n + BigInt(i) }));
    const answers = await mapLimit(bodies, 16, (b) => x.settle(b));
    expect(answers.every((a) => a.status === 200 && a.body.success)).toBe(true);
    const refs = answers.map(refOf);
    // Two workers share the claims (FOR UPDATE SKIP LOCKED); neither may settle a payment the other did.
    const workers = await Promise.all([x.startWorker(), x.startWorker()]);
    try {
      await x.waitFor(refs, 'confirmed', 120_000);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    for (const ref of refs.slice(0, 20)) expect((await events(ref)).filter((s) => s === 'batched')).toHaveLength(1);
    const perFeePayer = await x.f.api.db.query(
      `SELECT s.fee_payer, count(*)::int AS n FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = ANY($1) GROUP BY s.fee_payer ORDER BY s.fee_payer`,
      [refs],
    );
    expect(perFeePayer.map((r: { n: number }) => r.n)).toEqual([n / 2, n / 2]);
    const expected = Array.from({ length: n }, (_, i) => 100n + BigInt(i)).reduce((a, b) => a + b, 0n);
    expect(x.tokens(merchantAta()) - before).toBe(expected);
  }, 240_000);
});
