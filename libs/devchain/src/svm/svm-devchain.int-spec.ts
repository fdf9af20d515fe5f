/// <reference path="./x402-svm-modules.d.ts" />
import {
  appendTransactionMessageInstructions,
  compileTransaction,
  createSolanaRpc,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Blockhash,
} from '@solana/kit';
import { estimateComputeUnitLimitFactory } from '@solana-program/compute-budget';
import { getTransferCheckedInstruction } from '@solana-program/token';
import { toFacilitatorSvmSigner } from '@x402/svm';
import { ExactSvmScheme as ExactSvmClient } from '@x402/svm/exact/client';
import { ExactSvmScheme as ExactSvmFacilitator } from '@x402/svm/exact/facilitator';
import { startSvmDevchain, type SvmDevchain } from './svm-devchain';

/** The official client and facilitator of `exact` on Solana, run against the devchain. */
describe('SVM devchain with the official @x402/svm packages', () => {
  let dev: SvmDevchain;

  beforeAll(async () => {
    dev = await startSvmDevchain({ payers: 2, feePayers: 1, merchants: 1 });
  });
  afterAll(async () => {
    await dev?.stop();
  });

  async function tokenBalance(account: string): Promise<bigint> {
    const rpc = createSolanaRpc(dev.url);
    const { value } = await rpc.getTokenAccountBalance(account as never).send();
    return BigInt(value.amount);
  }

  function requirements(amount: string) {
    return {
      scheme: 'exact',
      network: dev.network,
      asset: dev.mint,
      amount,
      payTo: dev.merchants[0].address,
      maxTimeoutSeconds: 60,
      extra: { feePayer: dev.feePayers[0].address },
    } as const;
  }

  it('the official client pays, the official facilitator verifies and settles, the tokens move', async () => {
    const client = new ExactSvmClient(await dev.signer(dev.payers[0]), { rpcUrl: dev.url });
    const req = requirements('1500');
    const partial = await client.createPaymentPayload(2, req);
    const payload = { ...partial, accepted: req, resource: { url: 'http://localhost/r' } };

    const feePayer = await dev.signer(dev.feePayers[0]);
    const facilitator = new ExactSvmFacilitator(toFacilitatorSvmSigner(feePayer, { defaultRpcUrl: dev.url }));
    const verdict = await facilitator.verify(payload as never, req as never);
    expect(verdict).toEqual({ isValid: true, payer: dev.payers[0].address });

    const before = await tokenBalance(dev.merchants[0].tokenAccount);
    const settled = await facilitator.settle(payload as never, req as never);
    expect(settled).toMatchObject({ success: true, network: dev.network, payer: dev.payers[0].address });
    expect(typeof settled.transaction).toBe('string');
    expect(await tokenBalance(dev.merchants[0].tokenAccount)).toBe(before + 1500n);
    expect(await tokenBalance(dev.payers[0].tokenAccount)).toBe(1_000_000_000n - 1500n);
  });

  it('reports confirmed until the finality depth passes; a dropped transaction is undone and can land again, once', async () => {
    const rpcCall = (method: string, params: unknown[]) =>
      fetch(dev.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).then(async (r) => ((await r.json()) as { result: unknown }).result);
    const rpc = createSolanaRpc(dev.url);
    const status = async (sig: string) => (await rpc.getSignatureStatuses([sig as never]).send()).value[0];
    await rpcCall('devchain_setFinalitySlots', [5]);
    try {
      const client = new ExactSvmClient(await dev.signer(dev.payers[1]), { rpcUrl: dev.url });
      const req = requirements('700');
      const payload = { ...(await client.createPaymentPayload(2, req)), accepted: req };
      const settle = async () => {
        // A fresh facilitator each time: the official one refuses a payload it settled in the last 120 s.
        const facilitator = new ExactSvmFacilitator(toFacilitatorSvmSigner(await dev.signer(dev.feePayers[0]), { defaultRpcUrl: dev.url }));
        return facilitator.settle(payload as never, req as never);
      };
      const before = await tokenBalance(dev.merchants[0].tokenAccount);
      const first = await settle();
      expect(first).toMatchObject({ success: true });
      expect(await status(first.transaction)).toMatchObject({ confirmationStatus: 'confirmed', err: null });
      expect(await tokenBalance(dev.merchants[0].tokenAccount)).toBe(before + 700n);

      expect(await rpcCall('devchain_dropTransaction', [first.transaction])).toBe(true);
      expect(await status(first.transaction)).toBeNull();
      expect(await tokenBalance(dev.merchants[0].tokenAccount)).toBe(before);
      expect(await rpcCall('devchain_dropTransaction', [first.transaction])).toBe(false);

      const again = await settle();
      expect(again.transaction).toBe(first.transaction);
      expect(await tokenBalance(dev.merchants[0].tokenAccount)).toBe(before + 700n);
      await rpcCall('devchain_advanceSlots', [5]);
      expect(await status(first.transaction)).toMatchObject({ confirmationStatus: 'finalized', err: null });
    } finally {
      await rpcCall('devchain_setFinalitySlots', [0]);
    }
  });

  it('an expired blockhash fails simulation; advancing slots moves the block height', async () => {
    const client = new ExactSvmClient(await dev.signer(dev.payers[1]), { rpcUrl: dev.url });
    const req = requirements('10');
    const payload = { ...(await client.createPaymentPayload(2, req)), accepted: req };
    const rpc = createSolanaRpc(dev.url);
    const { value: bh } = await rpc.getLatestBlockhash().send();
    expect((await rpc.isBlockhashValid(bh.blockhash, {}).send()).value).toBe(true);

    const height = await rpc.getBlockHeight().send();
    await fetch(dev.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'devchain_advanceSlots', params: [10] }) });
    expect(await rpc.getBlockHeight().send()).toBe(height + 10n);
    await fetch(dev.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'devchain_expireBlockhash', params: [] }) });
    expect((await rpc.isBlockhashValid(bh.blockhash, {}).send()).value).toBe(false);

    const feePayer = await dev.signer(dev.feePayers[0]);
    const facilitator = new ExactSvmFacilitator(toFacilitatorSvmSigner(feePayer, { defaultRpcUrl: dev.url }));
    const verdict = await facilitator.verify(payload as never, req as never);
    expect(verdict).toMatchObject({ isValid: false, invalidReason: 'invalid_exact_svm_transaction_simulation_failed' });
  });

  it('simulateTransaction honours replaceRecentBlockhash, so compute-unit estimators (x402 1.x clients) work', async () => {
    const rpc = createSolanaRpc(dev.url);
    const payer = await dev.signer(dev.payers[0]);
    const transfer = getTransferCheckedInstruction({ source: dev.payers[0].tokenAccount, mint: dev.mint, destination: dev.merchants[0].tokenAccount, authority: payer, amount: 1n, decimals: 6 });
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(dev.feePayers[0].address, m),
      (m) => appendTransactionMessageInstructions([transfer], m),
    );
    // What @solana-program/compute-budget does: simulate on a placeholder blockhash, asking for a replacement.
    expect(await estimateComputeUnitLimitFactory({ rpc })(message)).toBeGreaterThan(0);

    const stale = compileTransaction(setTransactionMessageLifetimeUsingBlockhash({ blockhash: dev.payers[1].address as string as Blockhash, lastValidBlockHeight: 10n }, message));
    const wire = getBase64EncodedWireTransaction(stale);
    const call = async (config: Record<string, unknown>) =>
      (await (await fetch(dev.url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'simulateTransaction', params: [wire, { encoding: 'base64', ...config }] }) })).json()) as any;
    expect((await call({})).result.value).toMatchObject({ err: 'BlockhashNotFound', replacementBlockhash: null });
    const { value: latest } = await rpc.getLatestBlockhash().send();
    expect((await call({ replaceRecentBlockhash: true })).result.value).toMatchObject({
      err: null,
      replacementBlockhash: { blockhash: latest.blockhash, lastValidBlockHeight: Number(latest.lastValidBlockHeight) },
    });
    expect((await call({ replaceRecentBlockhash: true, sigVerify: true })).error).toMatchObject({ code: -32602 });
  });
});
