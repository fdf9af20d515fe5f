/// <reference path="../src/x402-modules.d.ts" />
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicClient, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { paymentMiddleware, type RoutesConfig } from 'x402-express';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import { devchainViemChain } from '@tollgate/devchain';
import { eventually, startTestApi, startTestChain, workerConfigOf, type TestApi, type TestChain } from '@tollgate/testing';
import { MerchantsService } from '../../api/src';
import { SettlementWorker } from '../../worker/src';
import { SETTLEMENT_MODE_HEADER } from '../src/resource-server';

/**
 * The 1.x packages (`x402-express`, `x402-fetch`) against Tollgate. They name networks (`base-sepolia`)
 * and only know real chains, so the devchain runs as chain id 84532 and Tollgate serves it as
 * `base-sepolia`. Their dollar prices would resolve to Circle's Base Sepolia USDC ("USDC"/"2" at
 * 0x036C…); the routes therefore price in the devchain token explicitly, with its own EIP-712 domain.
 */
describe('x402 v1 packages (x402-express, x402-fetch 1.x) against Tollgate on chain 84532', () => {
  let chain: TestChain;
  let api: TestApi;
  let worker: SettlementWorker;
  let server: Server;
  let baseUrl: string;

  const waitForStatus = async (reference: string, status: string): Promise<{ status: string; tx_hash: string | null }> => {
    let last: { status: string; tx_hash: string | null } | undefined;
    return eventually(
      `payment ${reference} ${status}`,
      async () => {
        [last] = await api.db.query(`SELECT status, tx_hash FROM payments WHERE reference = $1`, [reference]);
        return last?.status === status && last;
      },
      20_000,
      () => `status ${last?.status ?? 'missing'}`,
    );
  };

  beforeAll(async () => {
    chain = await startTestChain({ chainId: 84532 });
    api = await startTestApi({ chain, env: { BATCH_MAX_WAIT_MS: '300', BATCH_TICK_MS: '50', TX_POLL_MS: '100' } });
    worker = await SettlementWorker.start(workerConfigOf(api), { concurrency: 4 });
    const d = chain.deployment;
    const payTo = d.payTo[0].address;
    const { apiKey } = await api.app.get(MerchantsService).create({ name: 'v1 merchant', payTo: [payTo] });

    const price = { amount: '2500', asset: { address: d.token.address, decimals: d.token.decimals, eip712: { name: d.token.name, version: d.token.version } } };
    const routes: RoutesConfig = {
      'GET /deferred': { price, network: 'base-sepolia', config: { description: 'v1 deferred', mimeType: 'application/json', maxTimeoutSeconds: 300 } },
      'GET /confirmed': { price, network: 'base-sepolia', config: { description: 'v1 confirmed', mimeType: 'application/json', maxTimeoutSeconds: 300 } },
    };
    const auth = { Authorization: `Bearer ${apiKey}` };
    const facilitator = (settle: Record<string, string>) => ({
      url: api.baseUrl as `http://${string}`,
      createAuthHeaders: async () => ({ verify: auth, settle, supported: {} }),
    });
    const app = express();
    // One middleware per settlement mode, each matching only its own route (routes match on the full path).
    app.use(paymentMiddleware(payTo, { 'GET /deferred': routes['GET /deferred'] }, facilitator(auth)));
    app.use(paymentMiddleware(payTo, { 'GET /confirmed': routes['GET /confirmed'] }, facilitator({ ...auth, [SETTLEMENT_MODE_HEADER]: 'confirmed' })));
    app.get(['/deferred', '/confirmed'], (req, res) => {
      res.json({ route: req.path, paid: true });
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server ? server.close(() => resolve()) : resolve();
    });
    await worker?.stop();
    await api?.stop();
    await chain?.devchain.anvil.stop();
  });

  /** A viem wallet client on chain 84532: x402-fetch derives the v1 network name from `chain.id`. */
  const payerFetch = (i: number) => {
    const d = chain.deployment;
    const wallet = createWalletClient({
      account: privateKeyToAccount(d.payers[i].privateKey),
      chain: devchainViemChain(d.chainId, d.rpcUrl),
      transport: http(d.rpcUrl),
    });
    return wrapFetchWithPayment(fetch, wallet);
  };

  it('Tollgate names chain 84532 base-sepolia for v1 in /supported', async () => {
    const supported = (await (await fetch(`${api.baseUrl}/supported`)).json()) as { kinds: unknown[] };
    expect(supported.kinds).toEqual(
      expect.arrayContaining([
        { x402Version: 1, scheme: 'exact', network: 'base-sepolia' },
        { x402Version: 2, scheme: 'exact', network: 'eip155:84532' },
      ]),
    );
  });

  it('deferred: the paid content arrives with an X-PAYMENT-RESPONSE, and the payment ends confirmed', async () => {
    const res = await payerFetch(0)(`${baseUrl}/deferred`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ route: '/deferred', paid: true });
    const header = res.headers.get('X-PAYMENT-RESPONSE');
    expect(header).toBeTruthy();
    const receipt = decodeXPaymentResponse(header as string);
    expect(receipt).toMatchObject({ success: true, transaction: '', network: 'base-sepolia', payer: chain.deployment.payers[0].address });
    const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
    expect((await waitForStatus(reference, 'confirmed')).status).toBe('confirmed');
  });

  it('confirmed: the X-PAYMENT-RESPONSE carries the transaction hash that settled the payment on chain', async () => {
    const res = await payerFetch(1)(`${baseUrl}/confirmed`);
    expect(res.status).toBe(200);
    const header = res.headers.get('X-PAYMENT-RESPONSE');
    expect(header).toBeTruthy();
    const receipt = decodeXPaymentResponse(header as string);
    expect(receipt.success).toBe(true);
    expect(receipt.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
    const row = await waitForStatus(reference, 'confirmed');
    expect(row.tx_hash).toBe(receipt.transaction);
    const d = chain.deployment;
    const onChain = await createPublicClient({ transport: http(d.rpcUrl) }).getTransactionReceipt({ hash: receipt.transaction as `0x${string}` });
    expect(onChain.status).toBe('success');
  });
});
