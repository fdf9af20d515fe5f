/// <reference path="../src/x402-modules.d.ts" />
import { decodePaymentResponseHeader } from '@x402/core/http';
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { decodeEventLog } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { eip3009Abi } from '@tollgate/evm';
import { startSettlement, SettlementFixture, tokenBalance } from '@tollgate/testing';
import { payingFetch, type AllowedAsset } from '../src/paying-client';
import { startResourceServer, tollgateAuthHeaders, type RunningResourceServer } from '../src/resource-server';

/**
 * The official v2 packages, unchanged, against Tollgate: `@x402/express` (resource server), `@x402/fetch`
 * + `@x402/evm` (buyer), `@x402/core`'s `HTTPFacilitatorClient` (facilitator client).
 */
describe('x402 v2 packages (@x402/core, @x402/evm, @x402/fetch, @x402/express) against Tollgate', () => {
  let f: SettlementFixture;
  let allowed: AllowedAsset;
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
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '300', CONFIRMED_SETTLE_TIMEOUT_MS: '20000' }, 41);
    await f.startWorker();
    const d = f.api.chain.deployment;
    allowed = { network: d.network, asset: d.token.address, maxAmountPerPayment: '1000000' };
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await f.stop();
  });

  const resourceServer = async (settlementMode?: 'confirmed') => {
    const d = f.api.chain.deployment;
    const s = await startResourceServer({ facilitatorUrl: f.api.baseUrl, apiKey: f.apiKey, evm: { network: d.network, token: d.token, payTo: f.payTo }, settlementMode });
    servers.push(s);
    return s;
  };

  it('HTTPFacilitatorClient reads /supported, initializes a resource server and parses error answers, without console noise', async () => {
    const d = f.api.chain.deployment;
    const client = new HTTPFacilitatorClient({ url: f.api.baseUrl, createAuthHeaders: tollgateAuthHeaders(f.apiKey) });
    const supported = await client.getSupported();
    expect(supported.kinds).toEqual(
      expect.arrayContaining([
        { x402Version: 2, scheme: 'exact', network: d.network },
        { x402Version: 1, scheme: 'exact', network: 'anvil' },
      ]),
    );
    expect(supported.extensions).toContain('payment-identifier');
    expect(supported.signers['eip155:*']).toEqual(d.relayers.map((r) => r.address));

    const server = new x402ResourceServer(client).register(d.network, new ExactEvmScheme());
    await server.initialize();
    expect(server.getSupportedKind(2, d.network, 'exact')).toEqual({ x402Version: 2, scheme: 'exact', network: d.network });

    // A malformed body is a 400 whose JSON the client still reads as a VerifyError with Tollgate's reason.
    const broken = await client
      .verify(
        { x402Version: 2, accepted: { scheme: 'exact', network: d.network }, payload: {} } as never,
        { scheme: 'exact', network: d.network, asset: d.token.address, amount: '1000', payTo: f.payTo, maxTimeoutSeconds: 300, extra: {} },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(broken).toMatchObject({ name: 'VerifyError', statusCode: 400, invalidReason: 'invalid_payload' });
  });

  it('deferred: content served at once with a receipt carrying the Tollgate reference; the payment ends confirmed', async () => {
    const d = f.api.chain.deployment;
    const rs = await resourceServer();
    const payer = d.payers[0];
    const before = await tokenBalance(f, f.payTo);

    const res = await payingFetch({ evm: { network: d.network, privateKey: payer.privateKey } }, [allowed])(`${rs.url}/weather`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ route: '/weather', paid: true });
    const header = res.headers.get('PAYMENT-RESPONSE');
    expect(header).toBeTruthy();
    const receipt = decodePaymentResponseHeader(header as string);
    expect(receipt).toMatchObject({ success: true, transaction: '', network: d.network, payer: payer.address });
    const tollgate = (receipt.extensions as { tollgate: { reference: string; status: string; settlementMode: string } }).tollgate;
    expect(tollgate).toMatchObject({ status: 'queued', settlementMode: 'deferred' });

    await f.waitForStatuses([tollgate.reference], (s) => s[0] === 'confirmed');
    expect(await tokenBalance(f, f.payTo)).toBe(before + 1_000n); // "$0.001" of a 6-decimal token
  });

  it('confirmed: each receipt carries the real hash of the batch transaction that settled it', async () => {
    const d = f.api.chain.deployment;
    const rs = await resourceServer('confirmed');
    const payers = d.payers.slice(1, 4);
    const responses = await Promise.all(payers.map((p) => payingFetch({ evm: { network: d.network, privateKey: p.privateKey } }, [allowed])(`${rs.url}/quote`)));

    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ route: '/quote', paid: true });
      const receipt = decodePaymentResponseHeader(res.headers.get('PAYMENT-RESPONSE') as string);
      expect(receipt.success).toBe(true);
      expect(receipt.transaction).toMatch(/^0x[0-9a-f]{64}$/);
      const reference = (receipt.extensions as { tollgate: { reference: string } }).tollgate.reference;
      const row = await f.statusOf(reference);
      expect(row.tx_hash).toBe(receipt.transaction);

      const chainReceipt = await f.chain.public.getTransactionReceipt({ hash: receipt.transaction as `0x${string}` });
      expect(chainReceipt.status).toBe('success');
      const used = chainReceipt.logs
        .filter((l) => l.address.toLowerCase() === d.token.address.toLowerCase())
        .map((l) => decodeEventLog({ abi: eip3009Abi, data: l.data, topics: l.topics }))
        .filter((e) => e.eventName === 'AuthorizationUsed')
        .map((e) => (e.args as { authorizer: string }).authorizer);
      expect(used).toContain(privateKeyToAccount(payers[i].privateKey).address);
    }
  });
});
