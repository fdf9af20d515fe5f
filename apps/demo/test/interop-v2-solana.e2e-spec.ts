/// <reference path="../src/x402-modules.d.ts" />
import { decodePaymentResponseHeader } from '@x402/core/http';
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server';
import { ExactSvmScheme } from '@x402/svm/exact/server';
import { payingFetch, type AllowedAsset, type BuyerWallets } from '../src/paying-client';
import { startResourceServer, tollgateAuthHeaders, type RunningResourceServer } from '../src/resource-server';
import { startSvmInterop, type SvmInteropFixture } from './svm-interop-support';

/**
 * The official v2 packages on Solana, unchanged, against Tollgate: `@x402/express` with the SVM server
 * scheme of `@x402/svm` (resource server), `@x402/fetch` with the SVM client scheme (buyer), `@x402/core`'s
 * `HTTPFacilitatorClient` pointed at Tollgate. The Solana devchain poses as devnet
 * (`solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1`); routes price in its mint.
 */
describe('x402 v2 packages on Solana (@x402/express + @x402/svm server, @x402/fetch + @x402/svm client) against Tollgate', () => {
  let s: SvmInteropFixture;
  let allowed: AllowedAsset[];
  const servers: RunningResourceServer[] = [];
  // The official packages report anything they cannot parse or use through the console; in every flow
  // below, Tollgate's answers must leave it silent.
  let consoleSpies: jest.SpyInstance[] = [];
  beforeEach(() => {
    consoleSpies = (['log', 'warn', 'error'] as const).map((m) => jest.spyOn(console, m));
  });
  afterEach(() => {
    const calls = consoleSpies.flatMap((spy) => spy.mock.calls.map((c) => c.map(String).join(' ')));
    consoleSpies.forEach((spy) => spy.mockRestore());
    expect(calls).toEqual([]);
  });

  beforeAll(async () => {
    s = await startSvmInterop({ CONFIRMED_SETTLE_TIMEOUT_MS: '20000' });
    allowed = [{ network: s.svm.network, asset: s.svm.mint, maxAmountPerPayment: '1000000' }];
  });
  afterAll(async () => {
    await Promise.all(servers.map((r) => r.stop()));
    await s?.stop();
  });

  const resourceServer = async (settlementMode?: 'confirmed') => {
    const r = await startResourceServer({
      facilitatorUrl: s.f.api.baseUrl,
      apiKey: s.apiKey,
      solana: { network: s.svm.network, mint: s.svm.mint, decimals: 6, payTo: s.payTo.address },
      settlementMode,
    });
    servers.push(r);
    return r;
  };
  const buyer = (i: number): BuyerWallets => ({ svm: { network: s.svm.network, signer: s.payers[i], rpcUrl: s.svm.url } });

  it('HTTPFacilitatorClient reads the Solana kind with its fee payer, and the SVM server scheme initializes on it', async () => {
    const client = new HTTPFacilitatorClient({ url: s.f.api.baseUrl, createAuthHeaders: tollgateAuthHeaders(s.apiKey) });
    const supported = await client.getSupported();
    const feePayer = s.svm.feePayers[0].address;
    expect(supported.kinds).toEqual(
      expect.arrayContaining([
        { x402Version: 2, scheme: 'exact', network: s.svm.network, extra: { feePayer } },
        { x402Version: 1, scheme: 'exact', network: 'solana-devnet', extra: { feePayer } },
      ]),
    );
    expect(supported.signers['solana:*']).toEqual(s.svm.feePayers.map((a) => a.address));

    const server = new x402ResourceServer(client).register(s.svm.network as `solana:${string}`, new ExactSvmScheme());
    await server.initialize();
    expect(server.getSupportedKind(2, s.svm.network as `solana:${string}`, 'exact')).toMatchObject({ x402Version: 2, scheme: 'exact', network: s.svm.network });
  });

  it('deferred: content served at once with a receipt carrying the Tollgate reference; the payment lands and ends confirmed', async () => {
    const rs = await resourceServer();
    const payer = s.payers[0];
    const before = await s.tokens(s.payTo.tokenAccount);

    const res = await payingFetch(buyer(0), allowed)(`${rs.url}/weather`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ route: '/weather', paid: true });
    const header = res.headers.get('PAYMENT-RESPONSE');
    expect(header).toBeTruthy();
    const receipt = decodePaymentResponseHeader(header as string);
    expect(receipt).toMatchObject({ success: true, transaction: '', network: s.svm.network, payer: payer.address });
    const tollgate = (receipt.extensions as { tollgate: { reference: string; status: string; settlementMode: string } }).tollgate;
    expect(tollgate).toMatchObject({ status: 'queued', settlementMode: 'deferred' });

    const row = await s.waitForStatus(tollgate.reference, 'confirmed');
    expect(row.network).toBe(s.svm.network);
    expect(await s.signatureStatus(row.tx_hash as string)).toMatchObject({ err: null });
    expect(await s.tokens(s.payTo.tokenAccount)).toBe(before + 1_000n); // "$0.001" of a 6-decimal mint
  });

  it('confirmed: each receipt carries the signature of the Solana transaction that settled it', async () => {
    const rs = await resourceServer('confirmed');
    const before = await s.tokens(s.payTo.tokenAccount);
    const buyers = [1, 2, 3];
    const responses = await Promise.all(buyers.map((i) => payingFetch(buyer(i), allowed)(`${rs.url}/quote`)));

    const signatures = new Set<string>();
    for (const [k, res] of responses.entries()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ route: '/quote', paid: true });
      const receipt = decodePaymentResponseHeader(res.headers.get('PAYMENT-RESPONSE') as string);
      expect(receipt).toMatchObject({ success: true, network: s.svm.network, payer: s.payers[buyers[k]].address });
      expect(receipt.transaction).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
      signatures.add(receipt.transaction);
      const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
      const row = await s.waitForStatus(reference, 'confirmed');
      expect(row.tx_hash).toBe(receipt.transaction);
      expect(await s.signatureStatus(receipt.transaction)).toMatchObject({ err: null });
    }
    // One transaction per payment: the payer signed the whole transaction, so nothing was merged.
    expect(signatures.size).toBe(3);
    expect(await s.tokens(s.payTo.tokenAccount)).toBe(before + 3n * 2_500n);
  });
});
