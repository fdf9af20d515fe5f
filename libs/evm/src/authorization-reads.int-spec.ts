import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Address, createPublicClient, createWalletClient, decodeFunctionResult, encodeFunctionData, Hex, http as httpTransport, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, eip3009TokenAbi, startDevchain, type DevchainDeployment, type RunningDevchain } from '@tollgate/devchain';
import { multicall3Abi } from './abis';
import { AuthorizationReadBatcher, AuthorizationReadRequest, transferWithAuthorizationCalldata } from './authorization-reads';
import { ChainClients } from './chain-clients';
import { Eip3009Authorization, TRANSFER_WITH_AUTHORIZATION_TYPES } from './eip3009';
import { ExactEvmVerifier, ExactPaymentInput, ExactVerifyContext } from './exact-verifier';

/**
 * A JSON-RPC pass-through in front of anvil that records every request (including each member of a
 * JSON-RPC batch), so the tests can count what the verifier really sends to the node.
 */
async function rpcRecorder(target: string) {
  const seen: Array<{ method: string; to?: string }> = [];
  let failWith: number | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { method: string; params?: Array<{ to?: string }> } | Array<{ method: string; params?: Array<{ to?: string }> }>;
      for (const r of Array.isArray(parsed) ? parsed : [parsed]) seen.push({ method: r.method, to: r.method === 'eth_call' ? r.params?.[0]?.to : undefined });
      if (failWith !== null) {
        res.writeHead(failWith).end('unavailable');
        return;
      }
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    reset: () => void seen.splice(0),
    ethCalls: () => seen.filter((s) => s.method === 'eth_call'),
    fail: (status: number | null) => void (failWith = status),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('AuthorizationReadBatcher and ExactEvmVerifier (real anvil)', () => {
  let devchain: RunningDevchain;
  let d: DevchainDeployment;
  let rpc: Awaited<ReturnType<typeof rpcRecorder>>;
  let clients: ChainClients;
  let verifier: ExactEvmVerifier;
  let chainNow: bigint;
  let nextPayer = 0;

  beforeAll(async () => {
    devchain = await startDevchain({ payerCount: 40 });
    d = devchain.deployment;
    rpc = await rpcRecorder(d.rpcUrl);
    clients = new ChainClients([{ network: d.network, chainId: d.chainId, rpcUrl: rpc.url, multicall3: d.multicall3 }]);
    verifier = new ExactEvmVerifier(clients);
    const direct = createPublicClient({ chain: devchainViemChain(d.chainId, d.rpcUrl), transport: httpTransport(d.rpcUrl) });
    chainNow = (await direct.getBlock()).timestamp;
  });

  beforeEach(() => rpc.fail(null));

  afterAll(async () => {
    await rpc?.close();
    await devchain?.anvil.stop();
  });

  /** A funded devchain payer no other test uses. */
  const freshPayer = (): Hex => d.payers[nextPayer++].privateKey;

  /** A key holding exactly `atomic` tokens (minted by the deployer, outside the recorder). */
  async function payerWithBalance(atomic: bigint): Promise<Hex> {
    const key = generatePrivateKey();
    const owner = createWalletClient({ account: privateKeyToAccount(d.deployer.privateKey), chain: devchainViemChain(d.chainId, d.rpcUrl), transport: httpTransport(d.rpcUrl) });
    const hash = await owner.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'mint', args: [privateKeyToAccount(key).address, atomic] });
    await createPublicClient({ transport: httpTransport(d.rpcUrl) }).waitForTransactionReceipt({ hash, pollingInterval: 50 });
    return key;
  }

  interface Signed {
    authorization: Eip3009Authorization;
    signature: Hex;
  }

  async function sign(key: Hex, o: Partial<Eip3009Authorization> & { domainName?: string } = {}): Promise<Signed> {
    const account = privateKeyToAccount(key);
    const authorization: Eip3009Authorization = {
      from: account.address,
      to: d.payTo[0].address,
      value: 10_000n,
      validAfter: 0n,
      validBefore: chainNow + 3600n,
      nonce: toHex(randomBytes(32)),
      ...o,
    };
    const signature = await account.signTypedData({
      domain: { name: o.domainName ?? d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    });
    return { authorization, signature };
  }

  function verify(s: Signed, o: { asset?: Address; name?: string; nowSeconds?: bigint; simulate?: boolean } = {}) {
    const name = o.name ?? d.token.name;
    const input: ExactPaymentInput = {
      scheme: 'exact',
      payloadScheme: 'exact',
      network: d.network,
      payloadNetwork: d.network,
      payTo: s.authorization.to,
      amount: s.authorization.value,
      extra: { name, version: d.token.version },
      signature: s.signature,
      authorization: s.authorization,
    };
    const ctx: ExactVerifyContext = {
      chainId: d.chainId,
      asset: { address: o.asset ?? d.token.address, name, version: d.token.version, decimals: 6 },
      nowSeconds: o.nowSeconds ?? chainNow,
      settlementWindowSeconds: 30,
      simulate: o.simulate,
    };
    return verifier.verify(input, ctx);
  }

  const request = (s: Signed): AuthorizationReadRequest => ({ token: d.token.address, authorization: s.authorization, signature: s.signature, simulate: true });

  async function executeOnChain(s: Signed): Promise<void> {
    const relayer = createWalletClient({ account: privateKeyToAccount(d.relayers[0].privateKey), chain: devchainViemChain(d.chainId, d.rpcUrl), transport: httpTransport(d.rpcUrl) });
    const a = s.authorization;
    const hash = await relayer.writeContract({
      address: d.token.address,
      abi: eip3009TokenAbi,
      functionName: 'transferWithAuthorization',
      args: [a.from, a.to, a.value, a.validAfter, a.validBefore, a.nonce, s.signature],
    });
    await createPublicClient({ transport: httpTransport(d.rpcUrl) }).waitForTransactionReceipt({ hash, pollingInterval: 50 });
  }

  it('answers a burst of verifies made in one tick with a single eth_call to Multicall3', async () => {
    const payments = await Promise.all(Array.from({ length: 12 }, (_, i) => sign(freshPayer(), { value: 1_000n + BigInt(i) })));
    rpc.reset();

    const results = await Promise.all(payments.map((p) => verify(p)));

    expect(results).toEqual(payments.map((p) => ({ isValid: true, payer: p.authorization.from, balance: 1_000_000n * 10n ** 6n, smartWallet: false })));
    expect(rpc.seen).toEqual([{ method: 'eth_call', to: d.multicall3 }]);
  });

  it('reports both of two payments by one payer valid when each alone fits the balance but not both', async () => {
    const key = await payerWithBalance(100n);
    const first = await sign(key, { value: 60n });
    const second = await sign(key, { value: 60n });
    rpc.reset();

    const results = await Promise.all([verify(first), verify(second)]);

    expect(results.map((r) => r.isValid)).toEqual([true, true]);
    // The two simulations went to separate aggregate3 calls (in one HTTP batch).
    expect(rpc.ethCalls()).toHaveLength(2);
    // Had they shared one aggregate3, the second transfer would have run against the first one's debit.
    const shared = await createPublicClient({ transport: httpTransport(d.rpcUrl) }).call({
      to: d.multicall3,
      data: encodeFunctionData({
        abi: multicall3Abi,
        functionName: 'aggregate3',
        args: [[first, second].map((s) => ({ target: d.token.address, allowFailure: true, callData: transferWithAuthorizationCalldata(s.authorization, s.signature) }))],
      }),
    });
    expect(decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data: shared.data! }).map((r) => r.success)).toEqual([true, false]);
  });

  it('simulates identical requests of one tick once and gives each the answer', async () => {
    const payment = await sign(freshPayer());
    rpc.reset();

    const results = await Promise.all([verify(payment), verify(payment), verify(payment)]);

    expect(results.map((r) => r.isValid)).toEqual([true, true, true]);
    expect(rpc.ethCalls()).toHaveLength(1);
  });

  it.each([
    ['the spender first', false],
    ['the credit first', true],
  ])('never lets a payer pass on funds another row of the tick sends it (%s)', async (_label, creditFirst) => {
    const poor = await payerWithBalance(50n);
    const poorAddress = privateKeyToAccount(poor).address;
    const credit = await sign(freshPayer(), { to: poorAddress, value: 100n });
    const spend = await sign(poor, { value: 80n });
    const batcher = new AuthorizationReadBatcher(clients.get(d.network), clients.multicall3(d.network));
    rpc.reset();

    const [creditRead, spendRead] = creditFirst
      ? await Promise.all([batcher.read(request(credit)), batcher.read(request(spend))])
      : await Promise.all([batcher.read(request(spend)), batcher.read(request(credit))]).then(([s, c]) => [c, s]);

    expect(creditRead).toMatchObject({ used: false, simulationRevert: null });
    expect(spendRead).toEqual({ used: false, balance: 50n, simulationRevert: 'ERC20: transfer amount exceeds balance' });
    expect(rpc.ethCalls()).toHaveLength(2);

    // Through the verifier the same pair: the credit passes, the spender is short of funds.
    const [c, s] = await Promise.all([verify(credit), verify(spend)]);
    expect(c.isValid).toBe(true);
    expect(s).toEqual({ isValid: false, payer: poorAddress, reason: 'invalid_exact_evm_insufficient_balance', message: 'payer balance 50 is below the authorized value 80 (atomic units)' });
  });

  it('blames a signature the token refuses only on its own row', async () => {
    const good = await Promise.all([0, 1, 2].map(() => sign(freshPayer())));
    const payer = freshPayer();
    // Signed by a stranger in the payer's name: the token's ecrecover check fails.
    const forged = await sign(generatePrivateKey(), { from: privateKeyToAccount(payer).address });
    const batcher = new AuthorizationReadBatcher(clients.get(d.network), clients.multicall3(d.network));
    rpc.reset();

    const reads = await Promise.all([...good, forged].map((s) => batcher.read(request(s))));

    expect(reads.map((r) => r.simulationRevert)).toEqual([null, null, null, 'FiatTokenV2: invalid signature']);
    expect(rpc.ethCalls()).toHaveLength(1);

    // Through the verifier: a domain the signature recovers under off chain but the token does not
    // use ("USDC" for "USD Coin") is caught by the simulation, in the same tick as valid payments.
    const misnamed = await sign(freshPayer(), { domainName: 'USDC' });
    const more = await Promise.all([0, 1].map(() => sign(freshPayer())));
    rpc.reset();
    const results = await Promise.all([verify(more[0]), verify(misnamed, { name: 'USDC' }), verify(more[1])]);
    expect(results[0].isValid).toBe(true);
    expect(results[2].isValid).toBe(true);
    expect(results[1]).toEqual({
      isValid: false,
      payer: misnamed.authorization.from,
      reason: 'invalid_exact_evm_signature',
      message: 'the token rejects the signature (FiatTokenV2: invalid signature); check the EIP-712 domain name/version',
    });
    expect(rpc.ethCalls()).toHaveLength(1);
  });

  it('tells used, expired and not-yet-valid authorizations apart in one tick', async () => {
    const used = await sign(freshPayer());
    await executeOnChain(used);
    const expired = await sign(freshPayer(), { validBefore: chainNow - 60n });
    const early = await sign(freshPayer(), { validAfter: chainNow + 600n, validBefore: chainNow + 7200n });
    const fine = await sign(freshPayer());
    rpc.reset();

    // The expired / early rows are verified with a clock that lets them past the static time rules, so
    // the token's own check (the simulation) is what refuses them.
    const results = await Promise.all([
      verify(used),
      verify(expired, { nowSeconds: chainNow - 3600n }),
      verify(early, { nowSeconds: chainNow + 3600n }),
      verify(fine),
    ]);

    expect(results).toEqual([
      {
        isValid: false,
        payer: used.authorization.from,
        reason: 'invalid_exact_evm_nonce_already_used',
        message: `authorization ${used.authorization.nonce} of ${used.authorization.from} is already used on chain`,
      },
      { isValid: false, payer: expired.authorization.from, reason: 'invalid_exact_evm_payload_authorization_valid_before', message: 'FiatTokenV2: authorization is expired' },
      { isValid: false, payer: early.authorization.from, reason: 'invalid_exact_evm_payload_authorization_valid_after', message: 'FiatTokenV2: authorization is not yet valid' },
      { isValid: true, payer: fine.authorization.from, balance: 1_000_000n * 10n ** 6n, smartWallet: false },
    ]);
    // One aggregate3 for the batch, plus the getLogs that tells used from cancelled.
    expect(rpc.ethCalls()).toHaveLength(1);

    const batcher = new AuthorizationReadBatcher(clients.get(d.network), clients.multicall3(d.network));
    await expect(batcher.read(request(used))).resolves.toMatchObject({ used: true, simulationRevert: 'FiatTokenV2: authorization is used or canceled' });
  });

  it('reads nonce and balance without simulating when simulate is off', async () => {
    const used = await sign(freshPayer());
    await executeOnChain(used);
    const fine = await sign(freshPayer());

    const results = await Promise.all([verify(used, { simulate: false }), verify(fine, { simulate: false })]);

    expect(results.map((r) => (r.isValid ? 'valid' : r.reason))).toEqual(['invalid_exact_evm_nonce_already_used', 'valid']);
    const batcher = new AuthorizationReadBatcher(clients.get(d.network), clients.multicall3(d.network));
    await expect(batcher.read({ ...request(used), simulate: false })).resolves.toEqual({ used: true, balance: 1_000_000n * 10n ** 6n - used.authorization.value, simulationRevert: null });
  });

  it('throws for a verify whose reads revert (not a bad payment), leaving the others of the tick answered', async () => {
    // Multicall3 as the "token": it has no balanceOf / authorizationState, so those sub-calls revert.
    const key = freshPayer();
    const account = privateKeyToAccount(key);
    const authorization: Eip3009Authorization = { from: account.address, to: d.payTo[0].address, value: 10_000n, validAfter: 0n, validBefore: chainNow + 3600n, nonce: toHex(randomBytes(32)) };
    const signature = await account.signTypedData({
      domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.multicall3 },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: authorization,
    });
    const fine = await sign(freshPayer());

    const [broken, ok] = await Promise.allSettled([verify({ authorization, signature }, { asset: d.multicall3 }), verify(fine)]);

    expect(broken).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/^(authorizationState|balanceOf)\(.+\) on 0x[0-9a-fA-F]{40} reverted/) }) });
    expect(ok).toMatchObject({ status: 'fulfilled', value: { isValid: true } });
  });

  it('rejects every verify waiting on an eth_call that fails', async () => {
    const payments = await Promise.all([0, 1, 2].map(() => sign(freshPayer())));
    rpc.fail(503);

    const settled = await Promise.allSettled(payments.map((p) => verify(p)));

    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const errors = settled.map((s) => (s as PromiseRejectedResult).reason as Error & { status?: number });
    expect(errors[0].status).toBe(503);
    expect(errors[1]).toBe(errors[0]);
    expect(errors[2]).toBe(errors[0]);

    rpc.fail(null);
    await expect(verify(payments[0])).resolves.toMatchObject({ isValid: true });
  });

  it('splits simulations over several aggregate3 calls above the per-call cap', async () => {
    const payments = await Promise.all([0, 1, 2, 3, 4].map(() => sign(freshPayer())));
    const batcher = new AuthorizationReadBatcher(clients.get(d.network), clients.multicall3(d.network), { maxSimulationsPerCall: 2, maxReadsPerCall: 4 });
    rpc.reset();

    const reads = await Promise.all(payments.map((p) => batcher.read(request(p))));

    expect(reads).toEqual(payments.map(() => ({ used: false, balance: 1_000_000n * 10n ** 6n, simulationRevert: null })));
    expect(rpc.ethCalls()).toHaveLength(3);
  });
});
