import type { KeyPairSigner } from '@solana/kit';
import { loadSolanaFeePayerKeys, type WorkerConfig } from '@tollgate/config';
import { startSvmDevchain, SVM_DEVCHAIN_DECIMALS, type SvmDevchain } from '@tollgate/devchain';
import { buildSvmPayment } from '@tollgate/svm';
import { merchantClient, postJson, startFacilitator, testApps, WEBHOOK_TEST_ENV, workerConfigOf, type FacilitatorFixture } from '@tollgate/testing';
import { SvmSettlementWorker } from '../src/svm-settlement-worker';
import { RpcGate } from './settlement-support';

/**
 * A Solana settlement fixture: the litesvm devchain (posing as devnet) with two fee payers, the API serving
 * it, a merchant owning the devchain's payTo with a `payment.failed` webhook endpoint, and an RPC gate
 * between the worker and the chain (tests hold `sendTransaction` with it).
 */
export interface SvmSettlementFixture {
  svm: SvmDevchain;
  f: FacilitatorFixture;
  gate: RpcGate;
  payers: KeyPairSigner[];
  /** API key of the merchant owning the devchain's payTo. */
  apiKey: string;
  /** Builds a /settle body: payer `payer`, fee payer `feePayer` (indexes), `amount` atomic units. */
  body(o?: { payer?: number; feePayer?: number; amount?: bigint }): Promise<any>;
  /** POST /settle as the merchant; `headers` adds e.g. `x-tollgate-settlement-mode`. */
  settle(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** POST /verify as the merchant. */
  verify(body: unknown): Promise<{ status: number; body: any }>;
  /** Starts a Solana settlement worker reaching the chain through the gate. */
  startWorker(): Promise<SvmSettlementWorker>;
  statusOf(ref: string): Promise<string>;
  waitFor(refs: string[], status: string, timeoutMs?: number): Promise<void>;
  /** Atomic units in a token account (read from the chain itself). */
  tokens(account: string): bigint;
  /** Overwrites a token account's amount on the chain (a payer spending elsewhere). */
  setTokens(account: string, amount: bigint): void;
  stop(): Promise<void>;
}

/** Starts the fixture; `payers` devchain payers are funded with 1,000 tokens each; `env` overrides the API's environment. */
export async function startSvmSettlement(payers = 4, env: Record<string, string> = {}): Promise<SvmSettlementFixture> {
  const svm = await startSvmDevchain({ payers, feePayers: 2, merchants: 1 });
  const gate = await new RpcGate(svm.url).start();
  const f = await startFacilitator({
    ...WEBHOOK_TEST_ENV,
    SOLANA_NETWORKS: 'solana-devnet',
    SOLANA_RPC_URL_SOLANA_DEVNET: svm.url,
    SOLANA_FEE_PAYERS_SOLANA_DEVNET: svm.feePayers.map((a) => a.address).join(','),
    SOLANA_MINTS_SOLANA_DEVNET: `${svm.mint}:6:USDC`,
    ...env,
  });
  const { apiKey } = await testApps().createMerchant(f.api.app, { name: 'Solana merchant', payTo: [svm.merchants[0].address as never] });
  const hook = await merchantClient(f.api.baseUrl, apiKey).post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', eventTypes: ['payment.failed'] });
  if (hook.status !== 201) throw new Error(`webhook endpoint: ${hook.status}`);
  const auth = { authorization: `Bearer ${apiKey}` };
  const signers = await Promise.all(svm.payers.map((p) => svm.signer(p)));
  const workers: SvmSettlementWorker[] = [];
  const statusOf = async (ref: string): Promise<string> => (await f.api.db.query(`SELECT status FROM payments WHERE reference = $1`, [ref]))[0]?.status;
  return {
    svm,
    f,
    gate,
    payers: signers,
    apiKey,
    async body(o = {}) {
      const amount = o.amount ?? 2_500n;
      const feePayer = svm.feePayers[o.feePayer ?? 0].address;
      const req = { scheme: 'exact', network: svm.network, asset: svm.mint, amount: amount.toString(), payTo: svm.merchants[0].address, maxTimeoutSeconds: 60, extra: { feePayer } };
      const transaction = await buildSvmPayment({
        payer: signers[o.payer ?? 0],
        feePayer,
        mint: svm.mint,
        payTo: svm.merchants[0].address,
        amount,
        decimals: SVM_DEVCHAIN_DECIMALS,
        blockhash: svm.chain.latestBlockhash(),
      });
      return { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload: { transaction } }, paymentRequirements: req };
    },
    settle: (body, headers = {}) => postJson(`${f.api.baseUrl}/settle`, body, { ...auth, ...headers }),
    verify: (body) => postJson(`${f.api.baseUrl}/verify`, body, auth),
    async startWorker() {
      const base = workerConfigOf(f.api);
      const solanaNetworks = (base.solanaNetworks ?? []).map((n) => ({ ...n, rpcUrl: gate.url }));
      const keys = loadSolanaFeePayerKeys({ SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: svm.feePayers.map((k) => k.secretKey).join(',') }, solanaNetworks);
      const config: WorkerConfig = { ...base, solanaNetworks, solanaFeePayerKeys: keys, settlement: { ...base.settlement, tickMs: 100 } };
      const w = await SvmSettlementWorker.start(config, { rebroadcastMs: 500 });
      workers.push(w);
      return w;
    },
    statusOf,
    async waitFor(refs, status, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const rows: Array<{ status: string }> = await f.api.db.query(`SELECT status FROM payments WHERE reference = ANY($1)`, [refs]);
        if (rows.length === refs.length && rows.every((r) => r.status === status)) return;
        if (Date.now() > until) throw new Error(`not all ${status} after ${timeoutMs} ms: ${JSON.stringify(rows.map((r) => r.status))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    tokens(account) {
      const acc = svm.chain.svm.getAccount(account as never);
      return acc.exists ? Buffer.from(acc.data).readBigUInt64LE(64) : 0n;
    },
    setTokens(account, amount) {
      const acc = svm.chain.svm.getAccount(account as never);
      if (!acc.exists) throw new Error(`no account ${account}`);
      const data = new Uint8Array(acc.data);
      Buffer.from(data.buffer, data.byteOffset, data.length).writeBigUInt64LE(amount, 64);
      svm.chain.svm.setAccount({ ...acc, data } as never);
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await gate.stop();
      await f.stop();
      await svm.stop();
    },
  };
}
