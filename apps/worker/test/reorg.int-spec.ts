import { Hex } from 'viem';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import { eventsOf, expectSettledOnChain, payToBalance, rpc, setLanePaused, settleMany, statuses, sum, waitAll } from './settlement-support';

/**
 * With CONFIRMATIONS_31337 = 3 a payment is `included` until two more blocks are built on its
 * block. A reorganisation (evm_revert to a snapshot taken before inclusion) that drops the block
 * sends the payments back to the queue with a `reorged` event; they settle again, exactly once.
 * Nodes usually re-inject the transactions of a dropped block, so the same transaction may also be
 * mined again — before the worker notices the reorg, or after it re-queued the payments.
 */
describe('reorganisation before confirmation depth', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', CONFIRMATIONS_31337: '3' });
  });
  afterAll(() => f?.stop());

  it('re-queues the payments of a reorganised block and settles them again exactly once', async () => {
    expect(f.api.config.networks[0].confirmations).toBe(3);
    const rpcUrl = f.api.chain.deployment.rpcUrl;
    const payments = await settleMany(f, Array.from({ length: 6 }, (_, i) => ({ payerIndex: i % 3, amount: 4_000n + BigInt(i) })));
    const refs = payments.map((p) => p.ref);
    const total = sum(payments.map((p) => p.amount));
    const before = await payToBalance(f);
    const snapshot = await rpc<Hex>(rpcUrl, 'evm_snapshot');

    await f.startWorker();
    await waitAll(f, refs, 'included');
    const [first] = await f.api.db.query(`SELECT DISTINCT batch_id, tx_hash, block_number::text FROM payments WHERE reference = ANY($1)`, [refs]);
    expect(await payToBalance(f)).toBe(before + total);
    // One confirmation of three: nothing mines further blocks, so the payments stay included.
    expect(await statuses(f, refs)).toEqual(refs.map(() => 'included'));

    // The block disappears (and with it the transaction).
    expect(await rpc<boolean>(rpcUrl, 'evm_revert', [snapshot])).toBe(true);
    expect(await payToBalance(f)).toBe(before);

    await eventually('the payments re-queued with a reorged event', async () => {
      const histories = await Promise.all(refs.map((r) => eventsOf(f, r)));
      return histories.every((h) => h.some((e) => e.from_status === 'included' && e.to_status === 'queued' && e.reason === 'reorged'));
    });
    // Re-settled in a new batch; two more blocks bring it to depth.
    const second = await eventually(
      'the payments included again in a new batch',
      async () => {
        const rows: Array<{ status: string; batch_id: string; tx_hash: string }> = await f.api.db.query(
          `SELECT status, batch_id, tx_hash FROM payments WHERE reference = ANY($1)`,
          [refs],
        );
        return rows.length === refs.length && rows.every((r) => r.status === 'included' && r.batch_id && r.batch_id !== first.batch_id) ? rows[0] : undefined;
      },
      30_000,
      async () => JSON.stringify(await f.api.db.query(`SELECT id, status, failure_reason, nonce::text, tx_hash FROM settlement_batches ORDER BY created_at`)),
    );
    await f.chain.test.mine({ blocks: 2 });
    await waitAll(f, refs, 'confirmed');

    await expectSettledOnChain(f, payments);
    expect(await payToBalance(f)).toBe(before + total);
    const [old] = await f.api.db.query(`SELECT status, failure_reason FROM settlement_batches WHERE id = $1`, [first.batch_id]);
    expect(old).toEqual({ status: 'failed', failure_reason: 'reorged' });
    const [now] = await f.api.db.query(`SELECT status FROM settlement_batches WHERE id = $1`, [second.batch_id]);
    expect(now).toEqual({ status: 'confirmed' });
    for (const ref of refs) {
      expect((await eventsOf(f, ref)).map((e) => `${e.to_status}${e.reason ? `(${e.reason})` : ''}`)).toEqual([
        'verified',
        'queued',
        'batched',
        'submitted',
        'included',
        'queued(reorged)',
        'batched',
        'submitted',
        'included',
        'confirmed',
      ]);
    }
  });

  /** Includes fresh payments in one batch and returns it with its raw transaction (to re-inject later). */
  async function includedBatch(n: number, base: bigint): Promise<{ payments: Awaited<ReturnType<typeof settleMany>>; batchId: string; txHash: Hex; raw: Hex; snapshot: Hex }> {
    // Worker stopped while they queue (one batch), snapshot before it runs (before inclusion).
    await f.stopWorker();
    const payments = await settleMany(f, Array.from({ length: n }, (_, i) => ({ payerIndex: i % 3, amount: base + BigInt(i) })));
    const refs = payments.map((p) => p.ref);
    const snapshot = await rpc<Hex>(f.api.chain.deployment.rpcUrl, 'evm_snapshot');
    await f.startWorker();
    await waitAll(f, refs, 'included');
    const rows = await f.api.db.query(`SELECT DISTINCT batch_id, tx_hash FROM payments WHERE reference = ANY($1)`, [refs]);
    expect(rows).toHaveLength(1);
    const [{ raw_tx: raw }] = await f.api.db.query(`SELECT raw_tx FROM relayer_transactions WHERE tx_hash = $1`, [rows[0].tx_hash]);
    return { payments, batchId: rows[0].batch_id, txHash: rows[0].tx_hash, raw, snapshot };
  }

  it('follows a reorganised transaction that is mined again in another block, without re-sending it', async () => {
    const rpcUrl = f.api.chain.deployment.rpcUrl;
    const before = await payToBalance(f);
    // The worker is stopped across the reorganisation so that it only sees the outcome: the
    // transaction dropped with its block and mined again in a new one (as nodes re-inject it).
    const { payments, batchId, txHash, raw, snapshot } = await includedBatch(4, 4_100n);
    const [{ block_hash: firstBlock }] = await f.api.db.query(`SELECT block_hash FROM settlement_batches WHERE id = $1`, [batchId]);
    await f.stopWorker();
    expect(await rpc<boolean>(rpcUrl, 'evm_revert', [snapshot])).toBe(true);
    expect(await rpc<Hex>(rpcUrl, 'eth_sendRawTransaction', [raw])).toBe(txHash);
    const again = await f.chain.public.waitForTransactionReceipt({ hash: txHash });
    expect(again.blockHash.toLowerCase()).not.toBe(firstBlock);

    await f.startWorker();
    await eventually('the batch following the new block', async () => {
      const [b] = await f.api.db.query(`SELECT block_hash FROM settlement_batches WHERE id = $1`, [batchId]);
      return b.block_hash === again.blockHash.toLowerCase();
    });
    await f.chain.test.mine({ blocks: 2 });
    await waitAll(f, payments.map((p) => p.ref), 'confirmed');
    await expectSettledOnChain(f, payments);
    expect(await payToBalance(f)).toBe(before + sum(payments.map((p) => p.amount)));
    const [b] = await f.api.db.query(`SELECT status FROM settlement_batches WHERE id = $1`, [batchId]);
    expect(b.status).toBe('confirmed');
    expect(await f.api.db.query(`SELECT tx_hash FROM relayer_transactions WHERE batch_id = $1`, [batchId])).toEqual([{ tx_hash: txHash }]);
    for (const p of payments) expect((await eventsOf(f, p.ref)).map((e) => e.to_status)).toEqual(['verified', 'queued', 'batched', 'submitted', 'included', 'confirmed']);
  });

  it('confirms payments whose reorganised transaction is mined again after they were re-queued', async () => {
    const d = f.api.chain.deployment;
    const before = await payToBalance(f);
    const { payments, batchId, txHash, raw, snapshot } = await includedBatch(4, 4_200n);
    const refs = payments.map((p) => p.ref);
    // The operator pauses the lane so the re-queued payments wait while the old transaction comes back.
    await setLanePaused(f, true);
    expect(await rpc<boolean>(d.rpcUrl, 'evm_revert', [snapshot])).toBe(true);
    await waitAll(f, refs, 'queued');
    const [old] = await f.api.db.query(`SELECT status, failure_reason FROM settlement_batches WHERE id = $1`, [batchId]);
    expect(old).toEqual({ status: 'failed', failure_reason: 'reorged' });
    // The dropped transaction is mined again (nodes re-inject reorganised transactions).
    await rpc<Hex>(d.rpcUrl, 'eth_sendRawTransaction', [raw]);
    await f.chain.public.waitForTransactionReceipt({ hash: txHash });
    await setLanePaused(f, false);

    // The next batch finds every authorization already spent by our own transaction: the payments are
    // included by it, and reach confirmation depth like any other.
    await waitAll(f, refs, 'included', 20_000);
    await f.chain.test.mine({ blocks: 2 });
    await waitAll(f, refs, 'confirmed', 20_000, async () => JSON.stringify(await f.api.db.query(`SELECT id, status, failure_reason, tx_hash FROM settlement_batches ORDER BY created_at`)));
    await expectSettledOnChain(f, payments);
    expect(await payToBalance(f)).toBe(before + sum(payments.map((p) => p.amount)));
    const rows = await f.api.db.query(`SELECT DISTINCT tx_hash FROM payments WHERE reference = ANY($1)`, [refs]);
    expect(rows).toEqual([{ tx_hash: txHash }]);
    for (const ref of refs) {
      expect((await eventsOf(f, ref)).map((e) => `${e.to_status}${e.reason ? `(${e.reason})` : ''}`)).toEqual([
        'verified',
        'queued',
        'batched',
        'submitted',
        'included',
        'queued(reorged)',
        'batched',
        'included(settled_by_earlier_transaction)',
        'confirmed',
      ]);
    }
  });
});
