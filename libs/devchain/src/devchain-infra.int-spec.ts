import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeFunctionData,
  erc20Abi,
  http,
  type Address,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
  type Account,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import {
  MULTICALL3_ADDRESS,
  devchainViemChain,
  eip3009TokenAbi,
  multicall3Abi,
  readDeployment,
  startAnvil,
  startDevchain,
  writeDeployment,
  type DevchainDeployment,
  type RunningDevchain,
} from './index';

// The chain plumbing around the token: Multicall3, deployment files, side-by-side anvils.
// The EIP-3009 token behaviour is covered in devchain.int-spec.ts against its own devchain.

/** Asserts that `promise` rejects with a decoded Solidity `Error(string)` equal to `reason`. */
async function expectRevert(promise: Promise<unknown>, reason: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof BaseError)) throw new Error(`expected revert "${reason}", got ${String(caught)}`);
  const revert = caught.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  expect(revert?.reason).toBe(reason);
}

describe('@tollgate/devchain (real anvil)', () => {
  let devchain: RunningDevchain;
  let deployment: DevchainDeployment;
  let chain: Chain;
  let publicClient: PublicClient<Transport, Chain>;
  let relayer: WalletClient<Transport, Chain, Account>;
  let relayerAccount: PrivateKeyAccount;
  let payer: PrivateKeyAccount;
  let token: Address;

  beforeAll(async () => {
    devchain = await startDevchain();
    deployment = devchain.deployment;
    chain = devchainViemChain(deployment.chainId, deployment.rpcUrl);
    publicClient = createPublicClient({ chain, transport: http(deployment.rpcUrl), pollingInterval: 50 });
    relayerAccount = privateKeyToAccount(deployment.relayers[0].privateKey);
    relayer = createWalletClient({ account: relayerAccount, chain, transport: http(deployment.rpcUrl) });
    payer = privateKeyToAccount(deployment.payers[0].privateKey);
    token = deployment.token.address;
  });

  afterAll(async () => {
    await devchain?.anvil.stop();
  });

  it('Multicall3.aggregate3 reports a failing row without reverting when allowFailure is set', async () => {
    const goodBalance = {
      target: token,
      allowFailure: true,
      callData: encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [payer.address] }),
    };
    const goodName = {
      target: token,
      allowFailure: true,
      callData: encodeFunctionData({ abi: erc20Abi, functionName: 'name' }),
    };
    // Multicall3 holds no tokens, so this transfer reverts inside the batch.
    const bad = {
      target: token,
      allowFailure: true,
      callData: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [payer.address, 1n] }),
    };

    const { result, request } = await publicClient.simulateContract({
      account: relayerAccount,
      address: MULTICALL3_ADDRESS,
      abi: multicall3Abi,
      functionName: 'aggregate3',
      args: [[goodBalance, bad, goodName]],
    });
    expect(result.map((r) => r.success)).toEqual([true, false, true]);
    expect(decodeErrorResult({ abi: eip3009TokenAbi, data: result[1].returnData }).args).toEqual([
      'ERC20: transfer amount exceeds balance',
    ]);

    const receipt = await publicClient.waitForTransactionReceipt({ hash: await relayer.writeContract(request) });
    expect(receipt.status).toBe('success');

    await expectRevert(
      publicClient.simulateContract({
        account: relayerAccount,
        address: MULTICALL3_ADDRESS,
        abi: multicall3Abi,
        functionName: 'aggregate3',
        args: [[goodBalance, { ...bad, allowFailure: false }]],
      }),
      'Multicall3: call failed',
    );

    // viem's own multicall (canonical ABI, address from the chain definition) works too.
    const [name, decimals] = await publicClient.multicall({
      contracts: [
        { address: token, abi: erc20Abi, functionName: 'name' },
        { address: token, abi: erc20Abi, functionName: 'decimals' },
      ],
      allowFailure: false,
    });
    expect([name, decimals]).toEqual(['USD Coin', 6]);
    expect(
      await publicClient.readContract({ address: MULTICALL3_ADDRESS, abi: multicall3Abi, functionName: 'getChainId' }),
    ).toBe(BigInt(deployment.chainId));
  });

  it('writes, reads and validates deployment files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devchain-'));
    try {
      const file = join(dir, 'nested', 'deployment.json');
      await writeDeployment(file, deployment);
      expect(await readDeployment(file)).toEqual(deployment);

      await expect(readDeployment(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json does not exist/);

      const broken = join(dir, 'broken.json');
      await writeFile(broken, '{ not json');
      await expect(readDeployment(broken)).rejects.toThrow(/broken\.json is not valid JSON/);

      const wrongShape = join(dir, 'wrong.json');
      await writeFile(wrongShape, JSON.stringify({ ...deployment, token: { ...deployment.token, address: '0x12' } }));
      await expect(readDeployment(wrongShape)).rejects.toThrow(/wrong\.json is malformed: token\.address/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs two anvil instances side by side on different free ports', async () => {
    const second = await startAnvil({ chainId: 31338 });
    try {
      expect(second.port).not.toBe(devchain.anvil.port);
      const secondClient = createPublicClient({ transport: http(second.rpcUrl) });
      expect(await secondClient.getChainId()).toBe(31338);
      expect(await publicClient.getChainId()).toBe(31337);
      // Same deployer nonce sequence, so same token address, but separate state.
      expect(await secondClient.getCode({ address: token })).toBeUndefined();
    } finally {
      await second.stop();
    }
    await expect(second.exited).resolves.toBeDefined();
    expect(await publicClient.getChainId()).toBe(31337);
  });

  it('refuses an explicit port that is already taken', async () => {
    await expect(startAnvil({ port: devchain.anvil.port })).rejects.toThrow(
      `startAnvil: port ${devchain.anvil.port} on 127.0.0.1 is already in use`,
    );
  });
});
