import { randomBytes } from 'node:crypto';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  hashDomain,
  http,
  parseEventLogs,
  parseSignature,
  toHex,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  type Account,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import {
  MULTICALL3_ADDRESS,
  deployErc1271Wallet,
  devchainViemChain,
  eip3009TokenAbi,
  startDevchain,
  type DevchainDeployment,
  type RunningDevchain,
} from './index';

// Multicall3, deployment files and side-by-side anvils are covered in devchain-infra.int-spec.ts.

const authorizationFields = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
] as const;

const eip3009Types = {
  TransferWithAuthorization: authorizationFields,
  ReceiveWithAuthorization: authorizationFields,
  CancelAuthorization: [
    { name: 'authorizer', type: 'address' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

interface Authorization {
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
}

const newNonce = (): Hex => toHex(randomBytes(32));

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

  const domain = () => ({
    name: deployment.token.name,
    version: deployment.token.version,
    chainId: deployment.chainId,
    verifyingContract: token,
  });

  async function now(): Promise<bigint> {
    return (await publicClient.getBlock()).timestamp;
  }

  async function authorization(overrides: Partial<Authorization> = {}): Promise<Authorization> {
    return {
      from: payer.address,
      to: deployment.payTo[0].address,
      value: 1_250_000n, // 1.25 tokens
      validAfter: 0n,
      validBefore: (await now()) + 3600n,
      nonce: newNonce(),
      ...overrides,
    };
  }

  function sign(
    signer: PrivateKeyAccount,
    message: Authorization,
    primaryType: 'TransferWithAuthorization' | 'ReceiveWithAuthorization' = 'TransferWithAuthorization',
  ): Promise<Hex> {
    return signer.signTypedData({ domain: domain(), types: eip3009Types, primaryType, message });
  }

  function authArgs(a: Authorization) {
    return [a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce] as const;
  }

  function simulateTransfer(a: Authorization, signature: Hex) {
    return publicClient.simulateContract({
      account: relayerAccount,
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args: [...authArgs(a), signature],
    });
  }

  async function sendTransfer(a: Authorization, signature: Hex) {
    const hash = await relayer.writeContract({
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args: [...authArgs(a), signature],
    });
    return publicClient.waitForTransactionReceipt({ hash });
  }

  const balanceOf = (address: Address) =>
    publicClient.readContract({ address: token, abi: eip3009TokenAbi, functionName: 'balanceOf', args: [address] });

  const authorizationState = (authorizer: Address, nonce: Hex) =>
    publicClient.readContract({
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'authorizationState',
      args: [authorizer, nonce],
    });

  it('deploys a USDC-like token, funds payers and relayers, and installs Multicall3', async () => {
    expect(deployment.network).toBe(`eip155:${deployment.chainId}`);
    expect(deployment.chainId).toBe(31337);
    expect(deployment.payers).toHaveLength(10);
    expect(deployment.relayers).toHaveLength(2);
    expect(deployment.payTo).toHaveLength(3);

    const read = <F extends 'name' | 'version' | 'symbol' | 'decimals' | 'DOMAIN_SEPARATOR'>(functionName: F) =>
      publicClient.readContract({ address: token, abi: eip3009TokenAbi, functionName });
    expect(await read('name')).toBe('USD Coin');
    expect(await read('version')).toBe('2');
    expect(await read('symbol')).toBe('USDC');
    expect(await read('decimals')).toBe(6);
    const expectedSeparator = hashDomain({
      domain: { ...domain(), chainId: BigInt(deployment.chainId) },
      types: {
        EIP712Domain: [
          { name: 'name', type: 'string' },
          { name: 'version', type: 'string' },
          { name: 'chainId', type: 'uint256' },
          { name: 'verifyingContract', type: 'address' },
        ],
      },
    });
    expect(await read('DOMAIN_SEPARATOR')).toBe(expectedSeparator);

    expect(await balanceOf(deployment.payers[9].address)).toBe(1_000_000n * 10n ** 6n);
    expect(await publicClient.getBalance({ address: deployment.payers[0].address })).toBe(0n);
    expect(await publicClient.getBalance({ address: deployment.relayers[1].address })).toBe(10_000n * 10n ** 18n);
    expect(await publicClient.getCode({ address: MULTICALL3_ADDRESS })).toMatch(/^0x[0-9a-f]{100,}$/);
  });

  it('transferWithAuthorization (bytes signature overload) moves funds and emits AuthorizationUsed', async () => {
    const auth = await authorization();
    const signature = await sign(payer, auth);
    const payerBefore = await balanceOf(auth.from);
    const payeeBefore = await balanceOf(auth.to);

    const receipt = await sendTransfer(auth, signature);

    expect(receipt.status).toBe('success');
    const used = parseEventLogs({ abi: eip3009TokenAbi, logs: receipt.logs, eventName: 'AuthorizationUsed' });
    expect(used).toHaveLength(1);
    expect(used[0].args).toEqual({ authorizer: auth.from, nonce: auth.nonce });
    const transfers = parseEventLogs({ abi: eip3009TokenAbi, logs: receipt.logs, eventName: 'Transfer' });
    expect(transfers[0].args).toEqual({ from: auth.from, to: auth.to, value: auth.value });
    expect(await balanceOf(auth.from)).toBe(payerBefore - auth.value);
    expect(await balanceOf(auth.to)).toBe(payeeBefore + auth.value);
    expect(await authorizationState(auth.from, auth.nonce)).toBe(true);

    await expectRevert(simulateTransfer(auth, signature), 'FiatTokenV2: authorization is used or canceled');
  });

  it('transferWithAuthorization (v, r, s overload) succeeds and a replay reverts', async () => {
    const auth = await authorization({ to: deployment.payTo[1].address, value: 42n });
    const { r, s, v } = parseSignature(await sign(payer, auth));
    const args = [...authArgs(auth), Number(v), r, s] as const;

    const hash = await relayer.writeContract({
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    const used = parseEventLogs({ abi: eip3009TokenAbi, logs: receipt.logs, eventName: 'AuthorizationUsed' });
    expect(used.map((l) => l.args.nonce)).toEqual([auth.nonce]);

    // Sending the replay for real (not just eth_call): viem's gas estimation
    // surfaces the revert reason before anything is broadcast.
    await expectRevert(
      relayer.writeContract({ address: token, abi: eip3009TokenAbi, functionName: 'transferWithAuthorization', args }),
      'FiatTokenV2: authorization is used or canceled',
    );
  });

  it('cancelAuthorization emits AuthorizationCanceled and burns the nonce', async () => {
    const nonce = newNonce();
    const cancelSig = await payer.signTypedData({
      domain: domain(),
      types: eip3009Types,
      primaryType: 'CancelAuthorization',
      message: { authorizer: payer.address, nonce },
    });
    expect(await authorizationState(payer.address, nonce)).toBe(false);

    const hash = await relayer.writeContract({
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'cancelAuthorization',
      args: [payer.address, nonce, cancelSig],
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const canceled = parseEventLogs({ abi: eip3009TokenAbi, logs: receipt.logs, eventName: 'AuthorizationCanceled' });
    expect(canceled.map((l) => l.args)).toEqual([{ authorizer: payer.address, nonce }]);
    expect(await authorizationState(payer.address, nonce)).toBe(true);

    const auth = await authorization({ nonce });
    await expectRevert(simulateTransfer(auth, await sign(payer, auth)), 'FiatTokenV2: authorization is used or canceled');

    // v, r, s overload of cancelAuthorization.
    const nonce2 = newNonce();
    const { r, s, v } = parseSignature(
      await payer.signTypedData({
        domain: domain(),
        types: eip3009Types,
        primaryType: 'CancelAuthorization',
        message: { authorizer: payer.address, nonce: nonce2 },
      }),
    );
    const { request } = await publicClient.simulateContract({
      account: relayerAccount,
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'cancelAuthorization',
      args: [payer.address, nonce2, Number(v), r, s],
    });
    await publicClient.waitForTransactionReceipt({ hash: await relayer.writeContract(request) });
    expect(await authorizationState(payer.address, nonce2)).toBe(true);
  });

  it('rejects expired and not-yet-valid authorizations with the USDC strings', async () => {
    const t = await now();
    const expired = await authorization({ validBefore: t - 1n });
    await expectRevert(simulateTransfer(expired, await sign(payer, expired)), 'FiatTokenV2: authorization is expired');

    const early = await authorization({ validAfter: t + 3600n, validBefore: t + 7200n });
    await expectRevert(simulateTransfer(early, await sign(payer, early)), 'FiatTokenV2: authorization is not yet valid');
  });

  it('rejects signatures by the wrong key and malleable (high-s) signatures', async () => {
    const auth = await authorization();
    const stranger = privateKeyToAccount(generatePrivateKey());
    await expectRevert(simulateTransfer(auth, await sign(stranger, auth)), 'FiatTokenV2: invalid signature');

    // The same signature mirrored to the upper half of the curve order is
    // mathematically valid; USDC refuses it and so must we.
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const { r, s, v } = parseSignature(await sign(payer, auth));
    const highS = toHex(n - BigInt(s), { size: 32 });
    const flippedV = Number(v) === 27 ? 28 : 27;
    const malleated = `${r}${highS.slice(2)}${flippedV.toString(16)}` as Hex;
    await expectRevert(simulateTransfer(auth, malleated), 'FiatTokenV2: invalid signature');

    await expectRevert(simulateTransfer(auth, '0x1234'), 'FiatTokenV2: invalid signature');
    expect(await authorizationState(auth.from, auth.nonce)).toBe(false);
  });

  it('reverts on insufficient balance with the ERC20 string', async () => {
    const auth = await authorization({ value: 10n ** 30n });
    await expectRevert(simulateTransfer(auth, await sign(payer, auth)), 'ERC20: transfer amount exceeds balance');
  });

  it('receiveWithAuthorization must be submitted by the payee', async () => {
    // The relayer is made the payee so it can both fail (wrong caller) and succeed.
    const auth = await authorization({ to: deployment.relayers[1].address });
    const signature = await sign(payer, auth, 'ReceiveWithAuthorization');

    await expectRevert(
      publicClient.simulateContract({
        account: relayerAccount,
        address: token,
        abi: eip3009TokenAbi,
        functionName: 'receiveWithAuthorization',
        args: [...authArgs(auth), signature],
      }),
      'FiatTokenV2: caller must be the payee',
    );

    const payee = privateKeyToAccount(deployment.relayers[1].privateKey);
    const { request } = await publicClient.simulateContract({
      account: payee,
      address: token,
      abi: eip3009TokenAbi,
      functionName: 'receiveWithAuthorization',
      args: [...authArgs(auth), signature],
    });
    const payeeWallet = createWalletClient({ account: payee, chain, transport: http(deployment.rpcUrl) });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await payeeWallet.writeContract(request) });
    expect(receipt.status).toBe('success');
    expect(await balanceOf(payee.address)).toBe(auth.value);

    // A TransferWithAuthorization signature is not a ReceiveWithAuthorization one.
    const other = await authorization({ to: payee.address });
    await expectRevert(
      publicClient.simulateContract({
        account: payee,
        address: token,
        abi: eip3009TokenAbi,
        functionName: 'receiveWithAuthorization',
        args: [...authArgs(other), await sign(payer, other, 'TransferWithAuthorization')],
      }),
      'FiatTokenV2: invalid signature',
    );
  });

  it('accepts an ERC-1271 wallet payer whose owner signed the EIP-712 digest', async () => {
    const owner = privateKeyToAccount(generatePrivateKey());
    const wallet = await deployErc1271Wallet(deployment.rpcUrl, deployment, owner.address, { fundAtomic: 5_000_000n });
    expect(await balanceOf(wallet)).toBe(5_000_000n);

    const auth = await authorization({ from: wallet, to: deployment.payTo[2].address, value: 2_000_000n });
    const receipt = await sendTransfer(auth, await sign(owner, auth));
    expect(receipt.status).toBe('success');
    const used = parseEventLogs({ abi: eip3009TokenAbi, logs: receipt.logs, eventName: 'AuthorizationUsed' });
    expect(used[0].args.authorizer).toBe(wallet);
    expect(await balanceOf(wallet)).toBe(3_000_000n);

    const forged = await authorization({ from: wallet });
    await expectRevert(simulateTransfer(forged, await sign(payer, forged)), 'FiatTokenV2: invalid signature');
  });
});
