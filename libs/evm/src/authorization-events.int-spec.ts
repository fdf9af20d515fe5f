import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createPublicClient, createTestClient, createWalletClient, Hex, http as httpTransport, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { devchainViemChain, eip3009TokenAbi, startDevchain, type RunningDevchain } from '@tollgate/devchain';
import { eip3009Abi } from './abis';
import { recentAuthorizationEvent } from './authorization-events';

// Scaled down from the production 2,000 / 10,000 blocks so the test mines hundreds of blocks, not thousands.
const range = { windowBlocks: 50n, lookbackBlocks: 250n };

/**
 * A JSON-RPC pass-through that answers eth_getLogs like public providers do: `earliest`, or a range wider
 * than the window, is refused with an error.
 */
async function strictLogsProxy(target: string) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = JSON.parse(body) as { id: number; method: string; params?: Array<{ fromBlock?: string; toBlock?: string }> };
      if (r.method === 'eth_getLogs') {
        const { fromBlock = 'latest', toBlock = 'latest' } = r.params?.[0] ?? {};
        if (fromBlock === 'earliest' || !fromBlock.startsWith('0x') || !toBlock.startsWith('0x') || BigInt(toBlock) - BigInt(fromBlock) + 1n > range.windowBlocks) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: r.id, error: { code: -32600, message: 'block range too large' } }));
          return;
        }
      }
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('recentAuthorizationEvent (against a provider that refuses wide log ranges)', () => {
  let devchain: RunningDevchain;
  let proxy: Awaited<ReturnType<typeof strictLogsProxy>>;

  beforeAll(async () => {
    devchain = await startDevchain({ payerCount: 2 });
    proxy = await strictLogsProxy(devchain.deployment.rpcUrl);
  });
  afterAll(async () => {
    await proxy?.close();
    await devchain?.anvil.stop();
  });

  it('finds a cancellation several windows back, window by window, where one search from earliest is refused', async () => {
    const d = devchain.deployment;
    const chain = devchainViemChain(d.chainId, d.rpcUrl);
    const testClient = createTestClient({ chain, mode: 'anvil', transport: httpTransport(d.rpcUrl) });
    const direct = createPublicClient({ chain, transport: httpTransport(d.rpcUrl) });
    const strict = createPublicClient({ chain, transport: httpTransport(proxy.url) });
    const payer = privateKeyToAccount(d.payers[0].privateKey);
    const relayer = createWalletClient({ account: privateKeyToAccount(d.relayers[0].privateKey), chain, transport: httpTransport(d.rpcUrl) });

    const cancel = async (): Promise<Hex> => {
      const nonce = toHex(randomBytes(32));
      const signature = await payer.signTypedData({
        domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
        types: { CancelAuthorization: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
        primaryType: 'CancelAuthorization',
        message: { authorizer: payer.address, nonce },
      });
      const hash = await relayer.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'cancelAuthorization', args: [payer.address, nonce, signature] });
      await direct.waitForTransactionReceipt({ hash });
      return nonce;
    };

    const old = await cancel();
    await testClient.mine({ blocks: Number(range.lookbackBlocks) + 20 });
    const recent = await cancel();
    await testClient.mine({ blocks: Number(range.windowBlocks) * 3 + 7 });
    const head = await direct.getBlockNumber({ cacheTime: 0 });

    await expect(
      strict.getContractEvents({ address: d.token.address, abi: eip3009Abi, eventName: 'AuthorizationCanceled', args: { authorizer: payer.address, nonce: recent }, fromBlock: 'earliest', toBlock: 'latest' }),
    ).rejects.toThrow();
    const found = await recentAuthorizationEvent(strict, d.token.address, 'AuthorizationCanceled', payer.address, recent, head, range);
    expect(found?.args).toEqual({ authorizer: payer.address, nonce: recent });
    // Beyond the look-back the search stops: the caller only learns that the nonce is spent.
    expect(await recentAuthorizationEvent(strict, d.token.address, 'AuthorizationCanceled', payer.address, old, head, range)).toBeNull();
    expect(await recentAuthorizationEvent(strict, d.token.address, 'AuthorizationUsed', payer.address, recent, head, range)).toBeNull();
  });
});
