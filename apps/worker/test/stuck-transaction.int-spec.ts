import { Hex } from 'viem';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { expectSettledOnChain, payToBalance, settleMany, sum, waitAll } from './settlement-support';

interface TxRow {
  tx_hash: Hex;
  nonce: string;
  purpose: string;
  status: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
}

/**
 * Settles `specs` while the worker is stopped (so they form one batch), stops mining, starts the worker
 * and waits until the batch is broadcast: a transaction that will not be mined until the test says so.
 */
async function submitUnmined(f: SettlementFixture, specs: Parameters<typeof settleMany>[1]) {
  const payments = await settleMany(f, specs);
  const refs = payments.map((p) => p.ref);
  await f.chain.test.setAutomine(false);
  await f.startWorker();
  await waitAll(f, refs, 'submitted');
  const claimed = await f.api.db.query(`SELECT DISTINCT batch_id FROM payments WHERE reference = ANY($1)`, [refs]);
  expect(claimed).toHaveLength(1);
  return { payments, refs, batchId: claimed[0].batch_id as string };
}

/**
 * A batch transaction that is not mined (anvil with automine off) is replaced after
 * TX_REPLACE_AFTER_MS with the same nonce and higher fees; when mining resumes exactly one
 * transaction of that nonce lands and every payment is settled once.
 */
describe('stuck settlement transaction', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', TX_REPLACE_AFTER_MS: '1000' });
  });
  afterAll(async () => {
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
  });

  it('replaces the transaction with the same nonce and bumped fees, and settles every payment exactly once', async () => {
    const before = await payToBalance(f);
    const { payments, refs, batchId } = await submitUnmined(f, Array.from({ length: 6 }, (_, i) => ({ payerIndex: i % 3, amount: 7_000n + BigInt(i) })));

    // Nothing is mined: after 1 s the tracker replaces, then replaces the replacement.
    const txsOf = (): Promise<TxRow[]> =>
      f.api.db.query(
        `SELECT tx_hash, nonce::text, purpose, status, max_fee_per_gas::text, max_priority_fee_per_gas::text
           FROM relayer_transactions WHERE batch_id = $1 ORDER BY created_at`,
        [batchId],
      );
    await eventually('two replacements', async () => (await txsOf()).length >= 3, 15_000);
    // The node's pool holds a version of the nonce (the first one was pushed out by a replacement).
    const first = (await txsOf())[0];
    await eventually('a replacement in the pool', async () => {
      const txs = await txsOf();
      return (await f.chain.public.getTransaction({ hash: txs[txs.length - 1].tx_hash }).catch(() => null)) !== null;
    });
    expect(await f.chain.public.getTransaction({ hash: first.tx_hash }).catch(() => null)).toBeNull();

    // Mining resumes.
    await f.chain.test.mine({ blocks: 1 });
    await f.chain.test.setAutomine(true);
    await waitAll(f, refs, 'confirmed');

    const txs = await txsOf();
    expect(new Set(txs.map((t) => t.nonce)).size).toBe(1);
    expect(txs.every((t) => t.purpose === 'settle')).toBe(true);
    // Each version raised both fees by at least the 10 % nodes require (we bump 20 %).
    for (let i = 1; i < txs.length; i++) {
      expect(BigInt(txs[i].max_fee_per_gas) * 10n).toBeGreaterThanOrEqual(BigInt(txs[i - 1].max_fee_per_gas) * 12n);
      expect(BigInt(txs[i].max_priority_fee_per_gas) * 10n).toBeGreaterThanOrEqual(BigInt(txs[i - 1].max_priority_fee_per_gas) * 12n);
    }
    // Exactly one version of the nonce is on chain, and it is the one Postgres records.
    const receipts = await Promise.all(txs.map((t) => f.chain.public.getTransactionReceipt({ hash: t.tx_hash }).catch(() => null)));
    const landed = txs.filter((_, i) => receipts[i]);
    expect(landed).toHaveLength(1);
    expect(txs.filter((t) => t.status === 'included').map((t) => t.tx_hash)).toEqual([landed[0].tx_hash]);
    expect(txs.filter((t) => t.status === 'replaced')).toHaveLength(txs.length - 1);
    const [batch] = await f.api.db.query(`SELECT status, tx_hash, replacements FROM settlement_batches WHERE id = $1`, [batchId]);
    expect(batch).toEqual({ status: 'confirmed', tx_hash: landed[0].tx_hash, replacements: txs.length - 1 });

    await expectSettledOnChain(f, payments);
    expect(await payToBalance(f)).toBe(before + sum(payments.map((p) => p.amount)));
  });
});

/**
 * When the replacement budget (TX_MAX_REPLACEMENTS) is spent, the nonce is freed with a zero-value
 * self-transfer; once that lands the payments go back to the queue and settle in a new batch, once.
 */
describe('stuck settlement transaction past its replacement budget', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', TX_REPLACE_AFTER_MS: '500', TX_MAX_REPLACEMENTS: '1' }, 5);
  });
  afterAll(async () => {
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
  });

  it('cancels the nonce, re-queues the payments and settles them in a new batch exactly once', async () => {
    const before = await payToBalance(f);
    const { payments, refs, batchId: stuckBatch } = await submitUnmined(f, Array.from({ length: 4 }, (_, i) => ({ payerIndex: i % 2, amount: 8_000n + BigInt(i) })));
    const cancel = await eventually('a cancel transaction in the pool', async () => {
      const [tx]: Array<{ tx_hash: Hex }> = await f.api.db.query(`SELECT tx_hash FROM relayer_transactions WHERE batch_id = $1 AND purpose = 'cancel' ORDER BY created_at LIMIT 1`, [stuckBatch]);
      return tx && (await f.chain.public.getTransaction({ hash: tx.tx_hash }).catch(() => null)) ? tx : undefined;
    }, 15_000);

    await f.chain.test.mine({ blocks: 1 });
    await f.chain.test.setAutomine(true);
    await waitAll(f, refs, 'confirmed');

    const [batch] = await f.api.db.query(`SELECT status, failure_reason, tx_hash FROM settlement_batches WHERE id = $1`, [stuckBatch]);
    expect(batch).toEqual({ status: 'cancelled', failure_reason: 'cancelled', tx_hash: cancel.tx_hash });
    const receipt = await f.chain.public.getTransactionReceipt({ hash: cancel.tx_hash });
    expect(receipt.logs).toHaveLength(0);
    const rows = await f.api.db.query(`SELECT DISTINCT batch_id FROM payments WHERE reference = ANY($1)`, [refs]);
    expect(rows).toHaveLength(1);
    expect(rows[0].batch_id).not.toBe(stuckBatch);
    await expectSettledOnChain(f, payments);
    expect(await payToBalance(f)).toBe(before + sum(payments.map((p) => p.amount)));
  });
});
