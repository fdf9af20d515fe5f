import { generateKeyPairSigner, getBase64Decoder, getBase64Encoder, type KeyPairSigner } from '@solana/kit';
import { startSvmDevchain, SVM_DEVCHAIN_DECIMALS, type SvmDevchain } from '@tollgate/devchain';
import { buildSvmPayment, memoInstruction, SvmReason, type SvmPaymentSpec } from '@tollgate/svm';
import { postJson, startFacilitator, type FacilitatorFixture } from '@tollgate/testing';
import { MerchantsService } from '../src/merchants/merchants.service';

/**
 * A Solana network served by configuration (`SOLANA_NETWORKS=solana-devnet`, the devchain posing as devnet):
 * `/supported` advertises it for v2 and v1 with `extra.feePayer` and the fee payers under `solana:*`, and
 * nothing a client sends on it — fuzzed or malformed — is ever answered with a 5xx.
 */
describe('a configured Solana network', () => {
  let svm: SvmDevchain;
  let f: FacilitatorFixture;
  let payer: KeyPairSigner;
  let auth: Record<string, string>;

  beforeAll(async () => {
    svm = await startSvmDevchain({ payers: 1, feePayers: 2, merchants: 1 });
    f = await startFacilitator({
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: svm.url,
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: svm.feePayers.map((a) => a.address).join(','),
      SOLANA_MINTS_SOLANA_DEVNET: `${svm.mint}:6:USDC`,
    });
    payer = await svm.signer(svm.payers[0]);
    const { apiKey } = await f.api.app.get(MerchantsService).create({ name: 'Solana merchant', payTo: [svm.merchants[0].address] });
    auth = { authorization: `Bearer ${apiKey}` };
  });
  afterAll(async () => {
    await f?.stop();
    await svm?.stop();
  });

  it('/supported lists v2 and v1 Solana kinds with extra.feePayer, and the fee payers as solana:* signers', async () => {
    const res = await fetch(`${f.api.baseUrl}/supported`);
    const body = (await res.json()) as { kinds: unknown[]; signers: Record<string, string[]> };
    const feePayer = svm.feePayers[0].address;
    expect(body.kinds).toContainEqual({ x402Version: 2, scheme: 'exact', network: svm.network, extra: { feePayer } });
    expect(body.kinds).toContainEqual({ x402Version: 1, scheme: 'exact', network: 'solana-devnet', extra: { feePayer } });
    expect(body.signers['solana:*']).toEqual(svm.feePayers.map((a) => a.address));
    // The EVM kinds are still there, unchanged.
    expect(body.kinds).toContainEqual(expect.objectContaining({ x402Version: 2, scheme: 'exact', network: f.api.chain.deployment.network }));
  });

  const requirements = (extra: Record<string, unknown> = {}) => ({
    scheme: 'exact',
    network: svm.network,
    asset: svm.mint,
    amount: '2500',
    payTo: svm.merchants[0].address,
    maxTimeoutSeconds: 60,
    extra: { feePayer: svm.feePayers[0].address, ...extra },
  });
  const spec = (over: Partial<SvmPaymentSpec> = {}): SvmPaymentSpec => ({
    payer,
    feePayer: svm.feePayers[0].address,
    mint: svm.mint,
    payTo: svm.merchants[0].address,
    amount: 2500n,
    decimals: SVM_DEVCHAIN_DECIMALS,
    blockhash: svm.chain.latestBlockhash(),
    ...over,
  });
  const verify = (transaction: string, req = requirements(), accepted: Record<string, unknown> = {}) =>
    postJson(`${f.api.baseUrl}/verify`, { x402Version: 2, paymentPayload: { x402Version: 2, accepted: { ...req, ...accepted }, payload: { transaction } }, paymentRequirements: req }, auth);

  it('verifies a correct payment, records it once, and a repeated verify stays valid', async () => {
    const tx = await buildSvmPayment(spec());
    const first = await verify(tx);
    expect(first).toMatchObject({ status: 200, body: { isValid: true, payer: payer.address } });
    expect((await verify(tx)).body).toMatchObject({ isValid: true, payer: payer.address });
    const rows = await f.api.db.query(`SELECT status, payer, pay_to, asset, amount, nonce FROM payments WHERE network = $1`, [svm.network]);
    expect(rows).toEqual([{ status: 'verified', payer: payer.address, pay_to: svm.merchants[0].address, asset: svm.mint, amount: '2500', nonce: expect.stringMatching(/^0x[0-9a-f]{64}$/) }]);
  });

  it('a deferred settle after verify hands the payment to the queue (through the settle shortcut), once', async () => {
    const tx = await buildSvmPayment(spec({ amount: 700n }));
    const req = { ...requirements(), amount: '700' };
    const body = { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload: { transaction: tx } }, paymentRequirements: req };
    expect((await postJson(`${f.api.baseUrl}/verify`, body, auth)).body).toMatchObject({ isValid: true });
    const settled = await postJson(`${f.api.baseUrl}/settle`, body, auth);
    expect(settled).toMatchObject({ status: 200, body: { success: true, network: svm.network, payer: payer.address, transaction: '' } });
    const again = await postJson(`${f.api.baseUrl}/settle`, body, auth);
    expect(again.body).toMatchObject({ success: true, payer: payer.address });
    const rows = await f.api.db.query(`SELECT status FROM payments WHERE network = $1 AND amount = 700`, [svm.network]);
    expect(rows).toEqual([{ status: 'queued' }]);
  });

  it("the merchant's payment listing, detail and CSV show a Solana payment with its base58 addresses as signed", async () => {
    const tx = await buildSvmPayment(spec({ amount: 701n }));
    const req = { ...requirements(), amount: '701' };
    const body = { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload: { transaction: tx } }, paymentRequirements: req };
    const settled = await postJson(`${f.api.baseUrl}/settle`, body, auth);
    expect(settled.body).toMatchObject({ success: true });
    const list = await fetch(`${f.api.baseUrl}/v1/merchant/payments?limit=100`, { headers: auth });
    expect(list.status).toBe(200);
    const row = ((await list.json()) as { data: Array<Record<string, string>> }).data.find((p) => p.amount === '701');
    expect(row).toMatchObject({ network: svm.network, payer: payer.address, payTo: svm.merchants[0].address, asset: svm.mint });
    const detail = await fetch(`${f.api.baseUrl}/v1/merchant/payments/${row!.reference}`, { headers: auth });
    expect(detail.status).toBe(200);
    const csv = await fetch(`${f.api.baseUrl}/v1/merchant/payments.csv`, { headers: auth });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(payer.address);
  });

  it('answers each broken rule with its reason code', async () => {
    const stranger = (await generateKeyPairSigner()).address;
    const flipped = new Uint8Array(getBase64Encoder().encode(await buildSvmPayment(spec())));
    flipped[1 + 64 + 10] ^= 0xff;
    const cases: Array<[string, () => Promise<{ tx: string; req?: ReturnType<typeof requirements>; accepted?: Record<string, unknown> }>]> = [
      [SvmReason.UnsupportedScheme, async () => ({ tx: await buildSvmPayment(spec()), accepted: { scheme: 'upto' } })],
      [SvmReason.NetworkMismatch, async () => ({ tx: await buildSvmPayment(spec()), accepted: { network: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp' } })],
      [SvmReason.FeePayerNotManaged, async () => ({ tx: await buildSvmPayment(spec({ feePayer: stranger })), req: requirements({ feePayer: stranger }) })],
      [SvmReason.CouldNotBeDecoded, async () => ({ tx: getBase64Decoder().decode(new Uint8Array(120).fill(9)) })],
      [SvmReason.FeePayerMismatch, async () => ({ tx: await buildSvmPayment(spec({ feePayer: svm.feePayers[1].address })) })],
      [SvmReason.SignatureInvalid, async () => ({ tx: getBase64Decoder().decode(flipped) })],
      [SvmReason.InstructionsLength, async () => ({ tx: await buildSvmPayment(spec({ instructions: (d) => [...d, ...'abcd'.split('').map((m) => memoInstruction(m))] })) })],
      [SvmReason.ComputeLimit, async () => ({ tx: await buildSvmPayment(spec({ instructions: (d, p) => [p.price, p.limit, p.transfer] })) })],
      [SvmReason.ComputePriceTooHigh, async () => ({ tx: await buildSvmPayment(spec({ microLamports: 5_000_001n })) })],
      [SvmReason.MintMismatch, async () => ({ tx: await buildSvmPayment(spec({ mint: stranger })) })],
      [SvmReason.RecipientMismatch, async () => ({ tx: await buildSvmPayment(spec({ payTo: stranger })) })],
      [SvmReason.AmountMismatch, async () => ({ tx: await buildSvmPayment(spec({ amount: 2499n })) })],
      [SvmReason.UnknownFourth, async () => ({ tx: await buildSvmPayment(spec({ instructions: (d, p) => [...d.slice(0, 3), p.limit] })) })],
      [SvmReason.MemoMismatch, async () => ({ tx: await buildSvmPayment(spec({ memo: 'b' })), req: requirements({ memo: 'a' }) })],
      [SvmReason.SimulationFailed, async () => ({ tx: await buildSvmPayment(spec({ blockhash: { blockhash: svm.payers[0].address, lastValidBlockHeight: 1n } })) })],
    ];
    for (const [reason, make] of cases) {
      const c = await make();
      const res = await verify(c.tx, c.req, c.accepted);
      expect({ reason, status: res.status, body: res.body }).toMatchObject({ reason, status: 200, body: { isValid: false, invalidReason: reason } });
    }
  });

  it('fuzzed and malformed Solana payloads never get a 5xx', async () => {
    let seed = 15;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const req = {
      scheme: 'exact',
      network: svm.network,
      asset: svm.mint,
      amount: '1000',
      payTo: svm.merchants[0].address,
      maxTimeoutSeconds: 60,
      extra: { feePayer: svm.feePayers[0].address },
    };
    const payloads: unknown[] = [
      {},
      { transaction: null },
      { transaction: 'AAAA' },
      { transaction: '!!!!' },
      { transaction: 'A'.repeat(4000) },
      { authorization: { from: '0x' + '1'.repeat(40) } },
    ];
    for (let i = 0; i < 30; i++) payloads.push({ transaction: Buffer.from(Uint8Array.from({ length: 1 + rand(400) }, () => rand(256))).toString('base64') });
    for (const payload of payloads) {
      for (const op of ['verify', 'settle']) {
        const res = await postJson(`${f.api.baseUrl}/${op}`, { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload }, paymentRequirements: req }, auth);
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) expect(res.body.isValid ?? res.body.success).toBe(false);
      }
    }
  });
});
