import { bodyV1, bodyV2, eventually, postJson, randomNonce, seededRandom, signAuthorization, startTestApi, startTestChain, workerConfigOf, type TestApi, type TestChain } from '@tollgate/testing';
import { SettlementWorker } from '../../worker/src';
import { MerchantsService } from '../src/merchants/merchants.service';

/**
 * A devchain started under a chain id no registry ships (31338, `DEVCHAIN_CHAIN_ID=31338`): Tollgate serves
 * every configured network, so what /supported advertises must also verify and settle. It has no v1 name,
 * so it is served to v2 only (CAIP-2 `eip155:31338`).
 */
describe('a configured network with an unlisted chain id (31338)', () => {
  let chain: TestChain;
  let api: TestApi;
  let worker: SettlementWorker;
  let auth: Record<string, string>;
  const rand = seededRandom(31338);

  beforeAll(async () => {
    chain = await startTestChain({ chainId: 31338 });
    api = await startTestApi({ chain, env: { BATCH_MAX_WAIT_MS: '200', BATCH_TICK_MS: '50', TX_POLL_MS: '100' } });
    worker = await SettlementWorker.start(workerConfigOf(api), { concurrency: 2 });
    const { apiKey } = await api.app.get(MerchantsService).create({ name: 'chain 31338 merchant', payTo: [chain.deployment.payTo[0].address] });
    auth = { authorization: `Bearer ${apiKey}` };
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await chain?.devchain.anvil.stop();
  });

  const signed = () => {
    const d = chain.deployment;
    return signAuthorization(d, { payerKey: d.payers[0].privateKey, to: d.payTo[0].address, value: 4_321n, nonce: randomNonce(rand) });
  };

  it('advertises eip155:31338 for v2 only (no v1 name exists for it)', async () => {
    const res = await fetch(`${api.baseUrl}/supported`);
    const kinds: Array<{ x402Version: number; network: string }> = ((await res.json()) as { kinds: Array<{ x402Version: number; network: string }> }).kinds;
    expect(kinds).toContainEqual(expect.objectContaining({ x402Version: 2, scheme: 'exact', network: 'eip155:31338' }));
    expect(kinds.filter((k) => k.x402Version === 1)).toEqual([]);
  });

  it('verifies and settles a v2 payment on it through to confirmation', async () => {
    const d = chain.deployment;
    const body = bodyV2(d, await signed(), { payTo: d.payTo[0].address, amount: 4_321n });
    const verified = await postJson(`${api.baseUrl}/verify`, body, auth);
    expect(verified.body).toMatchObject({ isValid: true, payer: d.payers[0].address });
    const settled = await postJson(`${api.baseUrl}/settle`, body, auth);
    expect(settled.body).toMatchObject({ success: true, network: 'eip155:31338' });
    const reference = settled.body.extensions.tollgate.reference;
    const row = await eventually('the payment to end confirmed or failed', async () => {
      const [r]: Array<{ status: string; tx_hash: string | null }> = await api.db.query(`SELECT status, tx_hash FROM payments WHERE reference = $1`, [reference]);
      return r && (r.status === 'confirmed' || r.status === 'failed') ? r : undefined;
    });
    expect(row.status).toBe('confirmed');
    expect(row.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('a v1 body naming the chain by CAIP-2 is served too; a v1 name of another network is not', async () => {
    const d = chain.deployment;
    const payload = await signed();
    const own = await postJson(`${api.baseUrl}/verify`, bodyV1(d, payload, { payTo: d.payTo[0].address, amount: 4_321n, network: 'eip155:31338' }), auth);
    expect(own.body).toMatchObject({ isValid: true });
    const other = await postJson(`${api.baseUrl}/verify`, bodyV1(d, payload, { payTo: d.payTo[0].address, amount: 4_321n, network: 'base' }), auth);
    expect(other.body).toMatchObject({ isValid: false, invalidReason: 'invalid_network' });
  });
});
