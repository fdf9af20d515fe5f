/// <reference path="../src/x402-modules.d.ts" />
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getBase64Encoder, getCompiledTransactionMessageDecoder, getTransactionDecoder } from '@solana/kit';
import { paymentMiddleware, type RouteConfig } from 'x402-express';
import { decodeXPaymentResponse, wrapFetchWithPayment } from 'x402-fetch';
import { SETTLEMENT_MODE_HEADER } from '../src/resource-server';
import { startSvmInterop, type SvmInteropFixture } from './svm-interop-support';

/**
 * The 1.x packages (`x402-express`, `x402-fetch` 1.2.0) on `solana-devnet` against Tollgate. They know
 * Solana: the middleware copies the fee payer from Tollgate's `/supported` (`extra.feePayer` of the v1
 * `solana-devnet` kind) into its requirements, and the client builds the transaction itself. Two things
 * are set explicitly, through the packages' own options: the client's Solana RPC (`svmConfig.rpcUrl`; its
 * default is the public devnet RPC, where the devchain's mint does not exist), and the route's price as an
 * SPL token amount in the devchain's mint (a dollar price would mean devnet USDC).
 */
describe('x402 v1 packages (x402-express, x402-fetch 1.x) on solana-devnet against Tollgate', () => {
  let s: SvmInteropFixture;
  let server: Server;
  let baseUrl: string;
  const requests: Array<{ path: string; payment: string | undefined }> = [];

  beforeAll(async () => {
    s = await startSvmInterop({ CONFIRMED_SETTLE_TIMEOUT_MS: '20000' });
    const price = { amount: '2500', asset: { address: s.svm.mint, decimals: 6 } };
    const route = (description: string): RouteConfig => ({ price, network: 'solana-devnet', config: { description, mimeType: 'application/json', maxTimeoutSeconds: 60 } });
    const auth = { Authorization: `Bearer ${s.apiKey}` };
    const facilitator = (settle: Record<string, string>) => ({
      url: s.f.api.baseUrl as `http://${string}`,
      createAuthHeaders: async () => ({ verify: auth, settle, supported: {} }),
    });
    const app = express();
    app.use((req, _res, next) => {
      requests.push({ path: req.path, payment: req.header('X-PAYMENT') });
      next();
    });
    // One middleware per settlement mode, each matching only its own route.
    app.use(paymentMiddleware(s.payTo.address, { 'GET /deferred': route('v1 deferred on Solana') }, facilitator(auth)));
    app.use(paymentMiddleware(s.payTo.address, { 'GET /confirmed': route('v1 confirmed on Solana') }, facilitator({ ...auth, [SETTLEMENT_MODE_HEADER]: 'confirmed' })));
    app.get(['/deferred', '/confirmed'], (req, res) => {
      res.json({ route: req.path, paid: true });
    });
    server = await new Promise<Server>((resolve, reject) => {
      const srv = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(srv)));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server ? server.close(() => resolve()) : resolve();
    });
    await s?.stop();
  });

  /** x402-fetch with a kit signer: it selects `solana`/`solana-devnet` requirements and signs as the token owner. */
  const payerFetch = (i: number) => wrapFetchWithPayment(fetch, s.payers[i], undefined, undefined, { svmConfig: { rpcUrl: s.svm.url } });

  it('deferred: the paid content arrives with an X-PAYMENT-RESPONSE naming solana-devnet; the payment lands and ends confirmed', async () => {
    const before = await s.tokens(s.payTo.tokenAccount);
    const res = await payerFetch(0)(`${baseUrl}/deferred`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ route: '/deferred', paid: true });
    const receipt = decodeXPaymentResponse(res.headers.get('X-PAYMENT-RESPONSE') as string);
    expect(receipt).toMatchObject({ success: true, transaction: '', network: 'solana-devnet', payer: s.payers[0].address });
    const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
    const row = await s.waitForStatus(reference, 'confirmed');
    expect(row.network).toBe(s.svm.network); // v1 name on the wire, CAIP-2 in Tollgate's records
    expect(await s.signatureStatus(row.tx_hash as string)).toMatchObject({ err: null });
    expect(await s.tokens(s.payTo.tokenAccount)).toBe(before + 2_500n);

    // What the 1.x client built: a v1 payload on solana-devnet whose transaction pays Tollgate's fee payer's
    // fee (its first account) and carries no memo (limit, price, TransferChecked).
    const payment = JSON.parse(Buffer.from(requests.filter((r) => r.payment).at(-1)?.payment as string, 'base64').toString());
    expect(payment).toMatchObject({ x402Version: 1, scheme: 'exact', network: 'solana-devnet' });
    const tx = getTransactionDecoder().decode(getBase64Encoder().encode(payment.payload.transaction));
    const message = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
    expect(message.staticAccounts[0]).toBe(s.svm.feePayers[0].address);
    expect(message.instructions).toHaveLength(3);
  });

  it('confirmed: the X-PAYMENT-RESPONSE carries the signature of the Solana transaction that settled the payment', async () => {
    const res = await payerFetch(1)(`${baseUrl}/confirmed`);
    expect(res.status).toBe(200);
    const receipt = decodeXPaymentResponse(res.headers.get('X-PAYMENT-RESPONSE') as string);
    expect(receipt).toMatchObject({ success: true, network: 'solana-devnet', payer: s.payers[1].address });
    expect(receipt.transaction).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
    const row = await s.waitForStatus(reference, 'confirmed');
    expect(row.tx_hash).toBe(receipt.transaction);
    expect(await s.signatureStatus(receipt.transaction)).toMatchObject({ err: null });
  });

  it('the 1.x client builds no memo: the same purchase again on the same blockhash is the same transaction, refused as a replay', async () => {
    const before = await s.tokens(s.payTo.tokenAccount);
    const first = await payerFetch(2)(`${baseUrl}/deferred`);
    expect(first.status).toBe(200);
    const second = await payerFetch(2)(`${baseUrl}/deferred`);
    const [a, b] = requests.filter((r) => r.payment).slice(-2);
    expect(b.payment).toBe(a.payment); // byte for byte: Ed25519 signatures are deterministic
    // The middleware verifies first; Tollgate knows the transaction, so the content is not served twice.
    expect(second.status).toBe(402);
    expect(await second.json()).toMatchObject({ x402Version: 1, error: 'tollgate_authorization_already_settled' });
    const reference = (decodeXPaymentResponse(first.headers.get('X-PAYMENT-RESPONSE') as string).extensions as { tollgate: { reference: string } }).tollgate.reference;
    await s.waitForStatus(reference, 'confirmed');
    expect(await s.tokens(s.payTo.tokenAccount)).toBe(before + 2_500n);
  });
});
