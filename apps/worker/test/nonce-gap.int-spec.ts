import { Address, decodeEventLog, Hex } from 'viem';
import { eip3009TokenAbi } from '@tollgate/devchain';
import { startSettlement, SettlementFixture } from './settlement-harness';
import { expectSettledOnChain, payToBalance, rpc, setLanePaused, settleMany, sum, waitAll, waitFor } from './settlement-support';

/**
 * Issue 13: a reorganisation drops a relayer's transaction at nonce n (and the node does not re-inject
 * it) while its next transaction, at n + 1, waits in the pool. Without the nonce n nothing of that
 * relayer can ever be mined again: the batch at n + 1 used to be replaced and "cancelled" at n + 1 for
 * ever and its payments, answered success, ended failed at their deadline. Tollgate fills the gap (the
 * dropped transaction again when it can still settle something, else a self-transfer) and the relayer
 * resumes.
 */
describe('reorganisation leaving a nonce gap behind a pending transaction', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', CONFIRMATIONS_31337: '3', TX_REPLACE_AFTER_MS: '1500' });
  });
  afterAll(async () => {
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
  });

  it('fills the gap so that the batch behind it mines and every payment answered success confirms, each authorization used once', async () => {
    const d = f.api.chain.deployment;
    const before = await payToBalance(f);
    const batchOf = async (refs: string[]) => {
      const rows: Array<{ batch_id: string; relayer: string; nonce: string }> = await f.api.db.query(
        `SELECT DISTINCT p.batch_id, b.relayer, b.nonce::text FROM payments p JOIN settlement_batches b ON b.id = p.batch_id WHERE p.reference = ANY($1)`,
        [refs],
      );
      expect(rows).toHaveLength(1);
      return rows[0];
    };

    // Mining stops; batch A (5 payments) is broadcast by relayer R at nonce n and one block includes it.
    await f.chain.test.setAutomine(false);
    const a = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3, amount: 9_000n + BigInt(i) })));
    await f.startWorker();
    await waitAll(f, a.map((p) => p.ref), 'submitted');
    const batchA = await batchOf(a.map((p) => p.ref));
    await f.chain.test.mine({ blocks: 1 });
    await waitAll(f, a.map((p) => p.ref), 'included');

    // Batch C (5 more) goes to the same relayer (now the least busy, first configured) at nonce n + 1 and waits in the pool.
    await setLanePaused(f, true);
    const c = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3, amount: 9_100n + BigInt(i) })));
    await setLanePaused(f, false);
    await waitAll(f, c.map((p) => p.ref), 'submitted');
    const batchC = await batchOf(c.map((p) => p.ref));
    expect(batchC.relayer).toBe(batchA.relayer);
    expect(Number(batchC.nonce)).toBe(Number(batchA.nonce) + 1);

    // A's block is dropped and its transaction not re-injected; blocks resume (1 s).
    await rpc(d.rpcUrl, 'anvil_reorg', [1, []]);
    const relayer = batchA.relayer as Address;
    expect(await f.chain.public.getTransactionCount({ address: relayer, blockTag: 'latest' })).toBe(Number(batchA.nonce));
    await f.chain.test.setIntervalMining({ interval: 1 });

    const all = [...a, ...c];
    await waitAll(
      f,
      all.map((p) => p.ref),
      'confirmed',
      30_000,
      async () =>
        JSON.stringify({
          chainNonce: await f.chain.public.getTransactionCount({ address: relayer, blockTag: 'latest' }),
          batches: await f.api.db.query(`SELECT relayer, status, failure_reason, nonce::text, replacements FROM settlement_batches ORDER BY created_at`),
          txs: await f.api.db.query(`SELECT nonce::text, purpose, status FROM relayer_transactions WHERE relayer = $1 ORDER BY created_at`, [relayer]),
        }),
    );

    // The relayer's nonce moved past C's, and C's own batch settled its payments (no cancel was needed).
    expect(await f.chain.public.getTransactionCount({ address: relayer, blockTag: 'latest' })).toBeGreaterThan(Number(batchC.nonce));
    const [cNow] = await f.api.db.query(`SELECT status FROM settlement_batches WHERE id = $1`, [batchC.batch_id]);
    expect(cNow.status).toBe('confirmed');
    // Whatever filled nonce n was stored before it was broadcast, like every other transaction.
    const atN: Array<{ purpose: string; status: string; tx_hash: Hex }> = await f.api.db.query(
      `SELECT purpose, status, tx_hash FROM relayer_transactions WHERE relayer = $1 AND nonce = $2`,
      [relayer, batchA.nonce],
    );
    const mined = (await Promise.all(atN.map(async (t) => ((await f.chain.public.getTransactionReceipt({ hash: t.tx_hash }).catch(() => null)) ? t : null)))).filter(Boolean);
    expect(mined).toHaveLength(1);
    expect(mined[0]!.status).toBe('included');
    expect(['settle', 'filler']).toContain(mined[0]!.purpose);

    await expectSettledOnChain(f, all);
    expect(await payToBalance(f)).toBe(before + sum(all.map((p) => p.amount)));
    // No authorization was used twice: exactly one AuthorizationUsed log per payment on the canonical chain.
    const logs = await f.chain.public.getLogs({ address: d.token.address, fromBlock: 0n, toBlock: 'latest' });
    const used = new Map<string, number>();
    for (const l of logs) {
      let ev;
      try {
        ev = decodeEventLog({ abi: eip3009TokenAbi, data: l.data, topics: l.topics });
      } catch {
        continue;
      }
      if (ev.eventName !== 'AuthorizationUsed') continue;
      const key = `${((ev.args as any).authorizer as string).toLowerCase()}:${((ev.args as any).nonce as string).toLowerCase()}`;
      used.set(key, (used.get(key) ?? 0) + 1);
    }
    for (const p of all) expect(used.get(`${p.payer.toLowerCase()}:${p.nonce.toLowerCase()}`)).toBe(1);
  });
});
