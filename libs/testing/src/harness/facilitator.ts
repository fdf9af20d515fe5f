import { Address, Hex, createPublicClient, createWalletClient, http, parseAbi } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, eip3009TokenAbi } from '@tollgate/devchain';
import { testApps } from '../apps';
import { bodyV2, randomNonce, seededRandom, signAuthorization } from '../payments';
import { postJson, startTestApi, TestApi } from '../stack';

/** A running API plus a merchant owning the devchain's first payTo address, and request helpers. */
export interface FacilitatorFixture {
  api: TestApi;
  apiKey: string;
  merchantId: string;
  payTo: Address;
  rand: () => number;
  verify(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  settle(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Signs a valid v2 body for `amount` atomic units from payer `i` (overrides break single rules). */
  validBody(opts?: { amount?: bigint; payerIndex?: number; payerKey?: Hex; nonce?: Hex; validBefore?: bigint; validAfter?: bigint; paymentIdentifier?: string }): Promise<any>;
  /** A payer key with no tokens at all. */
  emptyPayer(): Hex;
  stop(): Promise<void>;
}

/** Starts the API (see `startTestApi`) and creates the merchant; `seed` makes nonces reproducible. */
export async function startFacilitator(env: Record<string, string> = {}, seed = 1): Promise<FacilitatorFixture> {
  const api = await startTestApi({ env });
  const d = api.chain.deployment;
  const payTo = d.payTo[0].address;
  const created = await testApps().createMerchant(api.app, { name: 'Test merchant', payTo: [payTo] });
  const auth = { authorization: `Bearer ${created.apiKey}` };
  const rand = seededRandom(seed);
  return {
    api,
    apiKey: created.apiKey,
    merchantId: created.merchantId,
    payTo,
    rand,
    verify: (body, headers = {}) => postJson(`${api.baseUrl}/verify`, body, { ...auth, ...headers }),
    settle: (body, headers = {}) => postJson(`${api.baseUrl}/settle`, body, { ...auth, ...headers }),
    async validBody(o = {}) {
      const amount = o.amount ?? 10_000n;
      const payload = await signAuthorization(d, {
        payerKey: o.payerKey ?? d.payers[o.payerIndex ?? 0].privateKey,
        to: payTo,
        value: amount,
        nonce: o.nonce ?? randomNonce(rand),
        validBefore: o.validBefore,
        validAfter: o.validAfter,
      });
      return bodyV2(d, payload, { payTo, amount, paymentIdentifier: o.paymentIdentifier });
    },
    emptyPayer: () => generatePrivateKey(),
    stop: () => api.stop(),
  };
}

/** Submits an authorization straight to the token (as if someone else settled it first). */
export async function executeOnChain(api: TestApi, body: any): Promise<void> {
  const d = api.chain.deployment;
  const relayer = privateKeyToAccount(d.relayers[d.relayers.length - 1].privateKey);
  const wallet = createWalletClient({ account: relayer, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
  const a = body.paymentPayload.payload.authorization;
  const hash = await wallet.writeContract({
    address: d.token.address,
    abi: parseAbi(['function transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)']),
    functionName: 'transferWithAuthorization',
    args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, body.paymentPayload.payload.signature],
  });
  await waitMined(api, hash);
}

/**
 * Waits until `hash` is mined successfully. Sending returns before anvil has mined the block, so a verify
 * right after could still read the chain as it was.
 */
export async function waitMined(api: TestApi, hash: Hex): Promise<void> {
  const d = api.chain.deployment;
  const receipt = await createPublicClient({ chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl), pollingInterval: 20 }).waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${hash} reverted`);
}

export { eip3009TokenAbi };
