import { Hex } from 'viem';
import { startSettlement, SettlementFixture, eventually } from '@tollgate/testing';
import {
  deploymentVia,
  eventsOf,
  expectSettledOnChain,
  payerCancels,
  payToBalance,
  RpcGate,
  settleMany,
  SettledPayment,
  setLanePaused,
  spawnWorker,
  statuses,
  sum,
  waitAll,
  WorkerProcess,
} from './settlement-support';

/**
 * A worker process (apps/worker/src/main.ts) is killed with SIGKILL in the middle of a batch and a
 * new one is started. To kill at a precise point, the worker reaches the chain through an
 * {@link RpcGate} that holds one kind of JSON-RPC call: the worker freezes there, Postgres shows how
 * far it got, and it dies with the held call never delivered. Each round checks that every payment
 * is settled exactly once afterwards.
 */
describe('worker killed with SIGKILL mid-batch', () => {
  let f: SettlementFixture;
  let gate: RpcGate;
  let gatedFile: string;
  let worker: WorkerProcess | undefined;
  let payerIndex = 0;

  beforeAll(async () => {
    // Replacement is pushed out of the way: a recovered transaction must be the stored one.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', TX_REPLACE_AFTER_MS: '60000' }, 13);
    gate = await new RpcGate(f.api.chain.deployment.rpcUrl).start();
    gatedFile = deploymentVia(f, gate.url);
    // The first worker boots while nothing is queued, already gated for the first round.
    gate.hold('eth_call'); // the pre-submission simulation
    await start();
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await gate?.stop();
    await f?.stop();
  });

  /** Spawns a worker and waits until it runs: the deadlines below measure recovery, not ts-node's boot. */
  const start = async (): Promise<void> => {
    worker = spawnWorker(f, { DEVCHAIN_FILE: gatedFile });
    await worker.ready();
  };
  /** Each round after the first uses the worker that recovered the previous round. */
  const ensureWorker = async (): Promise<void> => {
    if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) await start();
  };
  const logs = async () => `(worker log: ${worker?.logFile}; gate holds ${JSON.stringify(gate.heldMethods())})`;

  /** Settles `n` payments; the lane is paused meanwhile so that a running worker claims them as one batch. */
  async function queue(n: number): Promise<SettledPayment[]> {
    const first = payerIndex;
    payerIndex += n;
    await setLanePaused(f, true);
    const payments = await settleMany(f, Array.from({ length: n }, (_, i) => ({ payerIndex: (first + i) % 6, amount: 5_000n + BigInt(first + i) })));
    await setLanePaused(f, false);
    return payments;
  }

  /** SIGKILL, then the held calls are lost with the process. */
  async function crash(): Promise<void> {
    const w = worker!;
    await w.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    gate.drop();
    gate.open();
  }

  async function batchOf(refs: string[]): Promise<string> {
    const rows = await f.api.db.query(`SELECT DISTINCT batch_id FROM payments WHERE reference = ANY($1)`, [refs]);
    expect(rows).toHaveLength(1);
    return rows[0].batch_id;
  }

  async function expectExactlyOnce(payments: SettledPayment[], balanceBefore: bigint): Promise<void> {
    await expectSettledOnChain(f, payments);
    // As strings: a failing bigint comparison cannot be sent back from a jest worker (it would hide the failure).
    expect(String(await payToBalance(f))).toBe(String(balanceBefore + sum(payments.map((p) => p.amount))));
    for (const p of payments) {
      expect((await eventsOf(f, p.ref)).filter((e) => e.to_status === 'included')).toHaveLength(1);
    }
  }

  it('recovers a batch claimed but not yet simulated or signed', async () => {
    const before = await payToBalance(f);
    const payments = await queue(8);
    const refs = payments.map((p) => p.ref);
    await waitAll(f, refs, 'batched', 30_000, logs);
    await eventually('the worker frozen in its simulation', async () => gate.heldMethods().includes('eth_call'), 10_000, logs);
    const claimed = await batchOf(refs);
    const [b] = await f.api.db.query(`SELECT status, nonce FROM settlement_batches WHERE id = $1`, [claimed]);
    expect(b).toEqual({ status: 'building', nonce: null });
    await crash();

    await start();
    await waitAll(f, refs, 'confirmed', 40_000, logs);
    expect(await batchOf(refs)).toBe(claimed);
    await expectExactlyOnce(payments, before);
  });

  it('broadcasts the stored transaction when the worker died between signing and broadcast', async () => {
    const before = await payToBalance(f);
    gate.hold('eth_sendRawTransaction');
    const payments = await queue(8);
    const refs = payments.map((p) => p.ref);
    await ensureWorker();
    await waitAll(f, refs, 'submitted', 30_000, logs);
    await eventually('the broadcast held', async () => gate.heldMethods().includes('eth_sendRawTransaction'), 10_000, logs);
    const batchId = await batchOf(refs);
    const [stored]: Array<{ tx_hash: Hex }> = await f.api.db.query(`SELECT tx_hash FROM relayer_transactions WHERE batch_id = $1`, [batchId]);
    // Signed and stored, but the chain never saw it.
    expect(await f.chain.public.getTransaction({ hash: stored.tx_hash }).catch(() => null)).toBeNull();
    await crash();

    await start();
    await waitAll(f, refs, 'confirmed', 40_000, logs);
    // Nothing was signed twice: the stored transaction is the one that landed.
    const txs = await f.api.db.query(`SELECT tx_hash, status FROM relayer_transactions WHERE batch_id = $1`, [batchId]);
    expect(txs).toEqual([{ tx_hash: stored.tx_hash, status: 'included' }]);
    await expectExactlyOnce(payments, before);
  });

  it('picks up a mined transaction whose receipt the dead worker never read', async () => {
    const before = await payToBalance(f);
    gate.hold('eth_getTransactionReceipt');
    const payments = await queue(8);
    const refs = payments.map((p) => p.ref);
    await ensureWorker();
    await waitAll(f, refs, 'submitted', 30_000, logs);
    const batchId = await batchOf(refs);
    const [stored]: Array<{ tx_hash: Hex }> = await f.api.db.query(`SELECT tx_hash FROM relayer_transactions WHERE batch_id = $1`, [batchId]);
    await eventually('the batch transaction mined', () => f.chain.public.getTransactionReceipt({ hash: stored.tx_hash }).catch(() => null), 10_000, logs);
    await eventually('the receipt request held', async () => gate.heldMethods().includes('eth_getTransactionReceipt'), 10_000, logs);
    await crash();

    await start();
    await waitAll(f, refs, 'confirmed', 40_000, logs);
    await expectExactlyOnce(payments, before);
  });

  it('classifies a row that failed inside the mined batch when the worker died right after reading the receipt', async () => {
    const d = f.api.chain.deployment;
    const before = await payToBalance(f);
    gate.hold('eth_sendRawTransaction');
    const payments = await queue(6);
    const refs = payments.map((p) => p.ref);
    await ensureWorker();
    await waitAll(f, refs, 'submitted', 30_000, logs);
    await eventually('the broadcast held', async () => gate.heldMethods().includes('eth_sendRawTransaction'), 10_000, logs);
    const batchId = await batchOf(refs);
    // After the simulation passed, one payer cancels: its row will fail inside the mined batch.
    const victim = payments[0];
    const payerKey = d.payers.find((p) => p.address.toLowerCase() === victim.payer.toLowerCase())!.privateKey;
    await payerCancels(f, payerKey, victim.nonce);
    // Let the broadcast through, then freeze the worker at its first chain call after it has read
    // the receipt (that is where it explains the row that did not land) and kill it there.
    gate.open();
    gate.holdAllAfterFirstReceipt();
    await gate.release();
    await eventually('the worker frozen after reading the receipt', async () => gate.frozenAfterReceipt && gate.heldMethods().length > 0, 20_000, logs);
    await crash();

    await start();
    const rest = payments.slice(1);
    await waitAll(f, rest.map((p) => p.ref), 'confirmed', 40_000, logs);
    // Not left behind as `submitted` under a batch nobody tracks any more.
    await waitAll(f, [victim.ref], 'failed', 20_000, logs);
    const [row] = await f.api.db.query(`SELECT failure_reason FROM payments WHERE reference = $1`, [victim.ref]);
    expect(row.failure_reason).toBe('tollgate_authorization_cancelled');
    const [b] = await f.api.db.query(`SELECT status FROM settlement_batches WHERE id = $1`, [batchId]);
    expect(b.status).toBe('confirmed');
    await expectExactlyOnce(rest, before);
    expect(await statuses(f, refs)).toEqual(['failed', ...rest.map(() => 'confirmed')]);
  });
});
