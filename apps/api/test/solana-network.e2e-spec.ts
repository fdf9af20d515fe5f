import { startSvmDevchain, type SvmDevchain } from '@tollgate/devchain';
import { startFacilitator, type FacilitatorFixture } from '@tollgate/testing';

/**
 * A Solana network served by configuration (`SOLANA_NETWORKS=solana-devnet`, the devchain posing as devnet):
 * `/supported` advertises it for v2 and v1 with `extra.feePayer` and the fee payers under `solana:*`, and
 * nothing a client sends on it — fuzzed or malformed — is ever answered with a 5xx.
 */
describe('a configured Solana network', () => {
  let svm: SvmDevchain;
  let f: FacilitatorFixture;

  beforeAll(async () => {
    svm = await startSvmDevchain({ payers: 1, feePayers: 2, merchants: 1 });
    f = await startFacilitator({
      SOLANA_NETWORKS: 'solana-devnet',
      SOLANA_RPC_URL_SOLANA_DEVNET: svm.url,
      SOLANA_FEE_PAYERS_SOLANA_DEVNET: svm.feePayers.map((a) => a.address).join(','),
      SOLANA_MINTS_SOLANA_DEVNET: `${svm.mint}:6:USDC`,
    });
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
      for (const op of [f.verify, f.settle]) {
        const res = await op({ x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload }, paymentRequirements: req });
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) expect(res.body.isValid ?? res.body.success).toBe(false);
      }
    }
  });
});
