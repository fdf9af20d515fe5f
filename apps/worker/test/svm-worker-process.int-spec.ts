import { spawn } from 'node:child_process';
import { eventually, WEBHOOK_TEST_ENV } from '@tollgate/testing';
import { REPO_ROOT, RpcGate, spawnWorker, type WorkerProcess } from './settlement-support';
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
      ...solanaOnly(gate.url),
      BATCH_TICK_MS: '100',
      SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: x.svm.feePayers.map((k) => k.secretKey).join(','),
    });
    await worker.ready();
    return worker;
  };
  const logs = async () => `(worker log: ${worker?.logFile}; gate holds ${JSON.stringify(gate.heldMethods())})`;
  const refOf = (res: { body: any }): string => res.body.extensions.tollgate.reference;
  const svmRow = async (ref: string) =>
    (await x.f.api.db.query(`SELECT s.* FROM svm_transactions s JOIN payments p ON p.id = s.payment_id WHERE p.reference = $1`, [ref]))[0];
  const events = async (ref: string): Promise<string[]> =>
    (await x.f.api.db.query(`SELECT e.to_status FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`, [ref])).map(
      (r: { to_status: string }) => r.to_status,
    );

  /** The environment of a process that serves the Solana devchain only (`rpcUrl`: where it reaches the chain). */
  const solanaOnly = (rpcUrl: string): Record<string, string> => ({
    DEVCHAIN_FILE: '',
    NETWORKS: '',
    SOLANA_NETWORKS: 'solana-devnet',
    SOLANA_RPC_URL_SOLANA_DEVNET: rpcUrl,
    SOLANA_FEE_PAYERS_SOLANA_DEVNET: x.svm.feePayers.map((k) => k.address).join(','),
    SOLANA_MINTS_SOLANA_DEVNET: `${x.svm.mint}:6:USDC`,
  });

  it('the API process starts with no EVM network configured and serves Solana only', async () => {
    const c = x.f.api.config;
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', TS_NODE_TRANSPILE_ONLY: '1', DATABASE_URL: c.databaseUrl, REDIS_URL: c.redisUrl, QUEUE_PREFIX: c.queuePrefix, API_PORT: '0', ...solanaOnly(x.svm.url) };
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const url = await eventually('the API listening', async () => /Tollgate API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined), 120_000, async () => out);
      expect(url).not.toBe('exited');
      const supported = (await (await fetch(`${url}/supported`)).json()) as { kinds: Array<{ network: string }> };
      expect([...new Set(supported.kinds.map((k) => k.network))].sort()).toEqual([x.svm.network, 'solana-devnet'].sort());
      const verified = await fetch(`${url}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${x.apiKey}` },
        body: JSON.stringify(await x.body({ payer: 0, amount: 10n })),
      });
      expect(await verified.json()).toMatchObject({ isValid: true, payer: x.svm.payers[0].address });
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);

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
