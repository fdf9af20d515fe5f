import { eventually, WEBHOOK_TEST_ENV } from '@tollgate/testing';
import { RpcGate, spawnWorker, type WorkerProcess } from './settlement-support';
import { startSvmSettlement, type SvmSettlementFixture } from './svm-settlement-support';

/**
 * The worker as its own OS process (apps/worker/src/main.ts) configured with Solana only — no devchain file,
 * no `NETWORKS` — settling on the litesvm devchain, and killed with SIGKILL between storing a co-signed
 * transaction and broadcasting it: the next process sends the stored bytes and the payment lands once.
 * As in worker-crash.int-spec.ts, the worker reaches the chain through an {@link RpcGate} that holds
 * `sendTransaction`, so it dies at a known point with the held call never delivered.
 */
describe('a Solana-only worker process, killed with SIGKILL', () => {
  let x: SvmSettlementFixture;
  let gate: RpcGate;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    x = await startSvmSettlement(2);
    gate = await new RpcGate(x.svm.url).start();
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await gate?.stop();
    await x?.stop();
  });

  /** A worker process that knows only the Solana devchain (reached through the gate) and its fee-payer keys. */
  const start = async (): Promise<WorkerProcess> => {
    worker = spawnWorker(x.f, {
      ...WEBHOOK_TEST_ENV,
      DEVCHAIN_FILE: '',
      NETWORKS: '',
      BATCH_TICK_MS: '100',
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: gate.url,
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: x.svm.feePayers.map((k) => k.address).join(','),
      SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: x.svm.feePayers.map((k) => k.secretKey).join(','),
      SOLANA_MINTS_SOLANA_DEVNET: `${x.svm.mint}:6:USDC`,
    });
    await worker.ready();
    return worker;
  };
  const logs = async () => `(worker log: ${worker?.logFile}; gate holds ${JSON.stringify(gate.heldMethods())})`;
  const refOf = (res: { body: any }): string => res.body.extensions.tollgate.reference;
  const svmRow = async (ref: string) =>
    (await x.f.api.db.query(`SELECT s.* FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = $1`, [ref]))[0];
  const events = async (ref: string): Promise<string[]> =>
    (await x.f.api.db.query(`SELECT e.to_status FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.reference = $1 ORDER BY e.id`, [ref])).map(
      (r: { to_status: string }) => r.to_status,
    );

  it('starts with no EVM network configured and settles a Solana payment', async () => {
    const before = x.tokens(x.svm.merchants[0].tokenAccount);
    const w = await start();
    expect(w.stdout()).toMatch(/workers started for solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1\b/);
    const ref = refOf(await x.settle(await x.body({ payer: 0, amount: 4_321n })));
    await x.waitFor([ref], 'confirmed', 60_000).catch(async (e: Error) => Promise.reject(new Error(`${e.message} ${await logs()}`)));
    expect(x.tokens(x.svm.merchants[0].tokenAccount) - before).toBe(4_321n);
    expect(x.svm.chain.status((await svmRow(ref)).signature)?.err).toBeNull();
  });

  it('killed between storing the co-signed transaction and broadcasting it: the next process sends the stored bytes, once', async () => {
    if (!worker || worker.child.exitCode !== null) await start();
    const before = { merchant: x.tokens(x.svm.merchants[0].tokenAccount), payer: x.tokens(x.svm.payers[1].tokenAccount) };
    gate.hold('sendTransaction');
    const ref = refOf(await x.settle(await x.body({ payer: 1, feePayer: 1, amount: 888n })));
    await eventually('the broadcast held', async () => gate.heldMethods().includes('sendTransaction'), 30_000, logs);
    const stored = await svmRow(ref);
    expect(await x.statusOf(ref)).toBe('batched');
    const w = worker!;
    await w.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    gate.drop(); // the held broadcast dies with the process
    gate.open();
    // Signed and stored, but the chain never saw it.
    expect(x.svm.chain.status(stored.signature)).toBeUndefined();
    expect(x.tokens(x.svm.merchants[0].tokenAccount)).toBe(before.merchant);

    await start();
    await x.waitFor([ref], 'confirmed', 60_000).catch(async (e: Error) => Promise.reject(new Error(`${e.message} ${await logs()}`)));
    const after = await svmRow(ref);
    // Nothing was re-signed: the stored transaction is the one that landed, and it moved the tokens once.
    expect(after.signature).toBe(stored.signature);
    expect(after.wire_transaction).toBe(stored.wire_transaction);
    expect(x.svm.chain.status(stored.signature)?.err).toBeNull();
    expect(x.tokens(x.svm.merchants[0].tokenAccount) - before.merchant).toBe(888n);
    expect(before.payer - x.tokens(x.svm.payers[1].tokenAccount)).toBe(888n);
    expect((await events(ref)).filter((s) => s === 'batched' || s === 'included')).toEqual(['batched', 'included']);
  });
});
