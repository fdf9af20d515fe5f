import { Address, decodeEventLog, Hex } from 'viem';
import { eip3009TokenAbi } from '@tollgate/devchain';
import { createAdminToken, adminCall, eventually, workerConfigOf } from '@tollgate/testing';
import { SettlementWorker } from '../src/settlement-worker';
import { startWorkerHttp, WorkerHttp } from '../src/worker-http';
import { WorkerMetrics } from '../src/worker-metrics';
import { startSettlement, SettlementFixture } from '@tollgate/testing';
import { eventsOf, expectSettledOnChain, payToBalance, rpc, setLanePaused, settleMany, sum, waitAll } from './settlement-support';

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
  let http: WorkerHttp | undefined;

  const batchOf = async (refs: string[]) => {
    const rows: Array<{ batch_id: string; relayer: string; nonce: string; tx_hash: Hex }> = await f.api.db.query(
      `SELECT DISTINCT p.batch_id, b.relayer, b.nonce::text, b.tx_hash FROM payments p JOIN settlement_batches b ON b.id = p.batch_id WHERE p.reference = ANY($1)`,
      [refs],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  };

  /**
   * The issue's reproduction up to the reorganisation, with the worker running and mining stopped: batch A
   * (5 payments, relayer R, nonce n) included by one block, batch C (5 more, R, n + 1) pending, then
   * `anvil_reorg(1, [])` — A's block replaced by an empty one, its transaction not re-injected.
   */
  async function wedge(base: bigint) {
    await f.chain.test.setAutomine(false);
    await setLanePaused(f, true);
    const a = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3, amount: base + BigInt(i) })));
    await setLanePaused(f, false);
    await waitAll(f, a.map((p) => p.ref), 'submitted');
    const batchA = await batchOf(a.map((p) => p.ref));
    await f.chain.test.mine({ blocks: 1 });
    await waitAll(f, a.map((p) => p.ref), 'included');

    // C goes to the same relayer (now the least busy, first configured) at nonce n + 1 and waits in the pool.
    await setLanePaused(f, true);
    const c = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3, amount: base + 100n + BigInt(i) })));
    await setLanePaused(f, false);
    await waitAll(f, c.map((p) => p.ref), 'submitted');
    const batchC = await batchOf(c.map((p) => p.ref));
    expect(batchC.relayer).toBe(batchA.relayer);
    expect(Number(batchC.nonce)).toBe(Number(batchA.nonce) + 1);
    return { a, c, batchA, batchC, relayer: batchA.relayer as Address };
  }

  async function reorgDroppingA(relayer: Address, nonce: string): Promise<void> {
    await rpc(f.api.chain.deployment.rpcUrl, 'anvil_reorg', [1, []]);
    expect(await f.chain.public.getTransactionCount({ address: relayer, blockTag: 'latest' })).toBe(Number(nonce));
  }

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', CONFIRMATIONS_31337: '3', TX_REPLACE_AFTER_MS: '1500', RELAYER_WEDGED_AFTER_MS: '1000' });
  });
  afterAll(async () => {
    await http?.close();
    await f?.chain.test.setAutomine(true).catch(() => undefined);
    await f?.stop();
  });

  it('fills the gap so that the batch behind it mines and every payment answered success confirms, each authorization used once', async () => {
    const d = f.api.chain.deployment;
    const before = await payToBalance(f);
    await f.startWorker();
    const { a, c, batchA, batchC, relayer } = await wedge(9_000n);
    await reorgDroppingA(relayer, batchA.nonce);
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

  it('re-broadcasts the dropped transaction while its payments wait, reports the wedge until it mines, and attributes them to it', async () => {
    const before = await payToBalance(f);
    // Mining stops for good until the test resumes it, so the gap cannot close by itself.
    await f.chain.test.setIntervalMining({ interval: 0 });
    await f.stopWorker();
    const metrics = new WorkerMetrics();
    const worker: SettlementWorker = await SettlementWorker.start(workerConfigOf(f.api), { concurrency: 4, observer: metrics.observer() });
    f.worker = worker;
    metrics.attach(worker.ctx.dataSource, worker.ctx.queues);
    http = await startWorkerHttp({ config: f.api.config, metrics, dataSource: worker.ctx.dataSource, queues: worker.ctx.queues, chains: worker.ctx.chains });

    const { a, c, batchA, batchC, relayer } = await wedge(9_500n);
    const aRefs = a.map((p) => p.ref);
    // The operator holds the lane: A's payments, re-queued by the reorg, stay queued.
    await setLanePaused(f, true);
    await reorgDroppingA(relayer, batchA.nonce);
    await waitAll(f, aRefs, 'queued');

    // A's stored transaction can still settle them: it is made live again and broadcast at nonce n. Mining is
    // stopped, so after TX_REPLACE_AFTER_MS the healer re-signs it with higher fees (same batch, same calls):
    // whichever version is live, it is A's settle transaction at n, held by the node. (Its stored status may
    // lag: when the healer re-broadcasts before the tracker has noticed the reorg, the tracker then books the
    // reorg; what counts for the relayer is what the node holds.)
    await eventually('A re-broadcast at its nonce', async () => {
      const live: Array<{ tx_hash: Hex }> = await f.api.db.query(
        `SELECT tx_hash FROM relayer_transactions WHERE batch_id = $1 AND nonce = $2 AND purpose = 'settle'`,
        [batchA.batch_id, batchA.nonce],
      );
      for (const t of live) if (await f.chain.public.getTransaction({ hash: t.tx_hash }).catch(() => null)) return true;
      return false;
    });
    // Only this wedge's nonces: the first test may have filled its own gap with a self-transfer (when the worker
    // re-batched A's payments before the healer ran), and that filler row belongs to the same relayer.
    expect(
      await f.api.db.query(`SELECT 1 FROM relayer_transactions WHERE relayer = $1 AND purpose = 'filler' AND nonce >= $2`, [relayer, batchA.nonce]),
    ).toHaveLength(0);

    // Nothing is mined: the gap persists past RELAYER_WEDGED_AFTER_MS and every surface says so.
    const worderReady = await eventually('the worker to report the relayer wedged', async () => {
      const res = await fetch(`http://127.0.0.1:${http!.port}/health/ready`);
      return res.status === 503 ? ((await res.json()) as any) : undefined;
    });
    expect(worderReady.error.relayers.message).toContain(relayer);
    expect(worderReady.error.relayers.message).toMatch(/wedged: chain nonce \d+, lowest pending nonce \d+ \(gap 1\)/);
    const gauge = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    expect(gauge).toContain(`tollgate_relayer_nonce_gap{network="${f.api.chain.deployment.network}",relayer="${relayer}"} 1`);
    const apiReady = await fetch(`${f.api.baseUrl}/health/ready`);
    expect(apiReady.status).toBe(503);
    const apiBody = (await apiReady.json()) as any;
    expect(apiBody.error.relayers.message).toContain(`relayer ${relayer} on ${f.api.chain.deployment.network} is wedged`);
    const token = await createAdminToken(f, 'viewer');
    const overview = await adminCall(f.api.baseUrl, '/admin/api/overview', { bearer: token });
    const shown = overview.body.relayers.find((r: any) => r.address.toLowerCase() === relayer);
    expect(shown).toMatchObject({ nonceGap: 1, wedged: true });
    expect(shown.alarm).toContain('is wedged');

    // Blocks resume: A lands at n (settling the queued payments), C at n + 1.
    await f.chain.test.setIntervalMining({ interval: 1 });
    await waitAll(f, aRefs, 'included', 30_000);
    await setLanePaused(f, false);
    const all = [...a, ...c];
    await waitAll(f, all.map((p) => p.ref), 'confirmed', 30_000, async () => JSON.stringify(await f.api.db.query(`SELECT status, failure_reason, nonce::text FROM settlement_batches ORDER BY created_at`)));
    await expectSettledOnChain(f, all);
    expect(await payToBalance(f)).toBe(before + sum(all.map((p) => p.amount)));
    // Attributed to the transaction whose AuthorizationUsed logs landed (expectSettledOnChain read them at each
    // payment's log index): A's call at nonce n — re-broadcast, or re-signed with higher fees while no block
    // came — recorded on A's batch, the one version of that nonce marked included.
    const rows = await f.api.db.query(`SELECT DISTINCT tx_hash, batch_id FROM payments WHERE reference = ANY($1)`, [aRefs]);
    expect(rows).toHaveLength(1);
    expect(rows[0].batch_id).toBe(batchA.batch_id);
    const versions: Array<{ tx_hash: Hex; status: string; purpose: string }> = await f.api.db.query(
      `SELECT tx_hash, status, purpose FROM relayer_transactions WHERE relayer = $1 AND nonce = $2`,
      [relayer, batchA.nonce],
    );
    expect(versions.every((v) => v.purpose === 'settle')).toBe(true);
    expect(versions.filter((v) => v.status === 'included').map((v) => v.tx_hash)).toEqual([rows[0].tx_hash]);
    for (const ref of aRefs) {
      expect((await eventsOf(f, ref)).map((e) => `${e.to_status}${e.reason ? `(${e.reason})` : ''}`)).toEqual([
        'verified',
        'queued',
        'batched',
        'submitted',
        'included',
        'queued(reorged)',
        'included(settled_by_earlier_transaction)',
        'confirmed',
      ]);
    }
    const [cNow] = await f.api.db.query(`SELECT status, replacements FROM settlement_batches WHERE id = $1`, [batchC.batch_id]);
    expect(cNow).toEqual({ status: 'confirmed', replacements: 0 });

    // The wedge is over everywhere.
    await eventually('readiness back', async () => (await fetch(`${f.api.baseUrl}/health/ready`)).status === 200 && (await fetch(`http://127.0.0.1:${http!.port}/health/ready`)).status === 200);
    await eventually('the gauge back to 0', async () => (await (await fetch(`http://127.0.0.1:${http!.port}/metrics`)).text()).includes(`relayer="${relayer}"} 0`));
  });
});
