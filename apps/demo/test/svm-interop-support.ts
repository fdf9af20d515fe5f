import { createSolanaRpc, type KeyPairSigner, type Signature } from '@solana/kit';
import { loadSolanaFeePayerKeys } from '@tollgate/config';
import { startSvmDevchain, type SvmDevchain, type SvmDevMerchant } from '@tollgate/devchain';
import { eventually, startFacilitator, testApps, workerConfigOf, type FacilitatorFixture } from '@tollgate/testing';
import { SvmSettlementWorker } from '../../worker/src';

/**
 * Tollgate serving the Solana devchain (litesvm posing as devnet, `solana-devnet` in v1) for the interop
 * tests with the official packages: the API configured for it (`SOLANA_NETWORKS=solana-devnet`, the
 * devchain's fee payers and mint), a Solana settlement worker holding the fee-payer keys, and a merchant
 * owning the devchain's first payTo (whose token account exists, as x402 clients require).
 */
export interface SvmInteropFixture {
  svm: SvmDevchain;
  f: FacilitatorFixture;
  /** The Solana merchant's API key. */
  apiKey: string;
  payTo: SvmDevMerchant;
  /** Kit signers of the devchain's funded payers. */
  payers: KeyPairSigner[];
  /** The payment's row once it reaches `status` (polled; fails after 30 s naming the last status). */
  waitForStatus(reference: string, status: string): Promise<{ status: string; tx_hash: string | null; network: string }>;
  /** Atomic units in a token account, read over JSON-RPC as any client would. */
  tokens(account: string): Promise<bigint>;
  /** The chain's status of a transaction signature (null when it has none). */
  signatureStatus(signature: string): Promise<{ err: unknown; confirmationStatus: string | null } | null>;
  stop(): Promise<void>;
}

/** Starts the fixture; `env` goes to the API on top of the Solana configuration. */
export async function startSvmInterop(env: Record<string, string> = {}): Promise<SvmInteropFixture> {
  const svm = await startSvmDevchain({ payers: 6, feePayers: 2, merchants: 1 });
  let f: FacilitatorFixture | undefined;
  let worker: SvmSettlementWorker | undefined;
  try {
    f = await startFacilitator({
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: svm.url,
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: svm.feePayers.map((a) => a.address).join(','),
      SOLANA_MINTS_SOLANA_DEVNET: `${svm.mint}:6:USDC`,
      ...env,
    });
    const api = f.api;
    const payTo = svm.merchants[0];
    const { apiKey } = await testApps().createMerchant(api.app, { name: 'Solana merchant', payTo: [payTo.address as never] });
    const base = workerConfigOf(api);
    const solanaFeePayerKeys = loadSolanaFeePayerKeys({ SOLANA_FEE_PAYER_KEYS_SOLANA_DEVNET: svm.feePayers.map((k) => k.secretKey).join(',') }, base.solanaNetworks ?? []);
    worker = await SvmSettlementWorker.start({ ...base, solanaFeePayerKeys, settlement: { ...base.settlement, tickMs: 100 } }, { rebroadcastMs: 500 });
    const rpc = createSolanaRpc(svm.url);
    const payers = await Promise.all(svm.payers.map((p) => svm.signer(p)));
    const started = { f, worker };
    return {
      svm,
      f,
      apiKey,
      payTo,
      payers,
      async waitForStatus(reference, status) {
        let last: { status: string; tx_hash: string | null; network: string } | undefined;
        return eventually(
          `payment ${reference} ${status}`,
          async () => {
            [last] = await api.db.query(`SELECT status, tx_hash, network FROM payments WHERE reference = $1`, [reference]);
            return last?.status === status && last;
          },
          30_000,
          () => `status ${last?.status ?? 'missing'}`,
        );
      },
      async tokens(account) {
        const { value } = await rpc.getTokenAccountBalance(account as never).send();
        return BigInt(value.amount);
      },
      async signatureStatus(signature) {
        const { value } = await rpc.getSignatureStatuses([signature as Signature]).send();
        return value[0] ? { err: value[0].err, confirmationStatus: value[0].confirmationStatus } : null;
      },
      async stop() {
        await started.worker.stop();
        await started.f.stop();
        await svm.stop();
      },
    };
  } catch (e) {
    await worker?.stop();
    await f?.stop();
    await svm.stop();
    throw e;
  }
}
