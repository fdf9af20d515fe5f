import { randomBytes } from 'node:crypto';
import { Address, createPublicClient, createWalletClient, Hex, http, PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, RunningDevchain, startDevchain } from '@tollgate/devchain';
import { authorizationsUsed, batchCall, SettlementRow, TRANSFER_WITH_AUTHORIZATION_TYPES } from '@tollgate/evm';
import { gasUsedBy } from './batch-submitter';

/** Batch gas sizing against a real anvil: one eth_createAccessList execution, eth_estimateGas as fallback. */
describe('gasUsedBy', () => {
  let dc: RunningDevchain;
  let pub: PublicClient;

  beforeAll(async () => {
    dc = await startDevchain({ payerCount: 6, relayerCount: 1, payToCount: 1 });
    pub = createPublicClient({ chain: devchainViemChain(dc.deployment.chainId, dc.deployment.rpcUrl), transport: http(dc.deployment.rpcUrl), pollingInterval: 20 }) as PublicClient;
  });
  afterAll(() => dc.anvil.stop());

  const sign = async (payerIndex: number, tamper = false): Promise<SettlementRow> => {
    const d = dc.deployment;
    const payer = privateKeyToAccount(d.payers[payerIndex].privateKey);
    const message = {
      from: payer.address,
      to: d.payTo[0].address as Address,
      value: 1_000n,
      validAfter: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) + 3_600),
      nonce: `0x${randomBytes(32).toString('hex')}` as Hex,
    };
    const signature = await payer.signTypedData({
      domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message,
    });
    return { paymentId: message.nonce, ...message, signature: tamper ? (`${signature.slice(0, -4)}0000` as Hex) : signature };
  };

  it('sizes a multicall batch within 1 % of what its transaction then uses, and the padded limit lands every row', async () => {
    const d = dc.deployment;
    const rows = await Promise.all([0, 1, 2, 3, 4].map((i) => sign(i)));
    const call = batchCall(d.token.address, d.multicall3, rows);
    const relayer = privateKeyToAccount(d.relayers[0].privateKey);
    const used = await gasUsedBy(pub, relayer.address, call.to, call.data);
    const wallet = createWalletClient({ account: relayer, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
    const hash = await wallet.sendTransaction({ to: call.to, data: call.data, gas: (used * 130n) / 100n + 10_000n });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(authorizationsUsed(d.token.address, receipt.logs).size).toBe(5);
    const drift = Number(used > receipt.gasUsed ? used - receipt.gasUsed : receipt.gasUsed - used) / Number(receipt.gasUsed);
    expect(drift).toBeLessThan(0.01);
  });

  it('a call that reverts is reported with the node’s revert reason (via the eth_estimateGas fallback)', async () => {
    const d = dc.deployment;
    const bad = await sign(5, true);
    const call = batchCall(d.token.address, d.multicall3, [bad]);
    await expect(gasUsedBy(pub, privateKeyToAccount(d.relayers[0].privateKey).address, call.to, call.data)).rejects.toThrow(/invalid signature/i);
  });
});
