import { SettlementWaiter } from '../../api/src';

import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';

describe('confirmed settle mode', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '400', CONFIRMED_SETTLE_TIMEOUT_MS: '15000' }, 11);
    await f.startWorker();
  });
  afterAll(() => f.stop());

  it('answers with the real transaction hash; concurrent waiters share one batch, each with its own reference', async () => {
    const signed = await Promise.all([0, 1, 2, 3, 4].map((i) => f.sign({ payerIndex: i, amount: 2_000n })));
    const answers = await Promise.all(signed.map((s) => f.settle(s.body, { 'x-tollgate-settlement-mode': 'confirmed' })));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.success).toBe(true);
      expect(a.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
      expect(['included', 'confirmed']).toContain(a.body.extensions.tollgate.status);
    }
    expect(new Set(answers.map((a) => a.body.transaction)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.extensions.tollgate.reference)).size).toBe(5);
    const receipt = await f.chain.public.getTransactionReceipt({ hash: answers[0].body.transaction });
    expect(receipt.status).toBe('success');
  });

  it('a merchant threshold sends large payments through confirmed mode without any header', async () => {
    await f.api.db.query(`UPDATE merchants SET confirmed_threshold = 50000 WHERE id = $1`, [f.merchantId]);
    // The auth cache holds merchant policy for a few seconds; a fresh key sees the new policy at once.
    const { MerchantsService } = await import('../../api/src');
    (f.api.app.get(MerchantsService) as unknown as { cache: Map<string, unknown> }).cache.clear();
    const small = await f.settle((await f.sign({ amount: 49_999n })).body);
    expect(small.body).toMatchObject({ success: true, transaction: '', extensions: { tollgate: { settlementMode: 'deferred' } } });
    const large = await f.settle((await f.sign({ amount: 50_000n, payerIndex: 1 })).body);
    expect(large.body.success).toBe(true);
    expect(large.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(large.body.extensions.tollgate.settlementMode).toBe('confirmed');
  });

  it('times out with tollgate_settlement_timeout and the pending reference when no batch lands in time', async () => {
    await f.stopWorker();
    try {
      f.api.config.settlement.confirmedSettleTimeoutMs = 500;
      const res = await f.settle((await f.sign({ payerIndex: 2 })).body, { 'x-tollgate-settlement-mode': 'confirmed' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: false, errorReason: 'tollgate_settlement_timeout', transaction: '' });
      const ref = res.body.extensions.tollgate.reference;
      expect((await f.statusOf(ref)).status).toBe('queued');
      await f.startWorker();
      await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    } finally {
      f.api.config.settlement.confirmedSettleTimeoutMs = 15000;
    }
  });

  it('broadcast but not included in time: settlement_pending with the transaction hash; the identical retry resumes and gets the inclusion', async () => {
    const d = await f.sign({ payerIndex: 3, amount: 3_000n });
    await f.chain.test.setAutomine(false);
    try {
      f.api.config.settlement.confirmedSettleTimeoutMs = 1500;
      const first = await f.settle(d.body, { 'x-tollgate-settlement-mode': 'confirmed' });
      // Exactly what the official resource server retries on (x402 core settleWithPendingRetry).
      expect(first.body).toMatchObject({ success: false, errorReason: 'settlement_pending', extensions: { tollgate: { status: 'submitted' } } });
      expect(first.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
      const reference = first.body.extensions.tollgate.reference;
      f.api.config.settlement.confirmedSettleTimeoutMs = 15000;
      const retry = f.settle(d.body, { 'x-tollgate-settlement-mode': 'confirmed' });
      await eventually('the retry to wait for the batch', async () => f.api.app.get(SettlementWaiter).waiting === 1);
      await f.chain.test.mine({ blocks: 1 });
      const second = await retry;
      expect(second.body).toMatchObject({ success: true, extensions: { tollgate: { reference } } });
      expect(second.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
      const receipt = await f.chain.public.getTransactionReceipt({ hash: second.body.transaction });
      expect(receipt.status).toBe('success');
      // Any later identical settle, confirmed or deferred, is the same settlement and says so at once.
      expect((await f.settle(d.body, { 'x-tollgate-settlement-mode': 'confirmed' })).body).toMatchObject({ success: true, transaction: second.body.transaction });
      expect((await f.settle(d.body)).body).toMatchObject({ success: true, transaction: second.body.transaction, extensions: { tollgate: { reference } } });
    } finally {
      f.api.config.settlement.confirmedSettleTimeoutMs = 15000;
      await f.chain.test.setAutomine(true);
    }
  });
});
