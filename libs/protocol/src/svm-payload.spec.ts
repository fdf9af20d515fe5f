import fc from 'fast-check';
import { NetworkRegistry, SOLANA_NETWORKS } from './networks';
import { parseFacilitatorRequest } from './request-parser';

const DEVNET = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
const MINT = '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU';
const PAY_TO = 'AKFQjUDgYXMUxviUi21U6dbnX1UykoANFRiNEXTo44mh';
const registry = new NetworkRegistry(SOLANA_NETWORKS);

function body(payload: unknown, over: Record<string, unknown> = {}) {
  const req = { scheme: 'exact', network: DEVNET, asset: MINT, amount: '1000', payTo: PAY_TO, maxTimeoutSeconds: 60, extra: { feePayer: PAY_TO }, ...over };
  return { x402Version: 2, paymentPayload: { x402Version: 2, accepted: req, payload }, paymentRequirements: req };
}

describe('exact-SVM payload parsing', () => {
  it('normalizes a v2 Solana payment, the transaction kept as base64', () => {
    const r = parseFacilitatorRequest(body({ transaction: 'AQID' }), { networks: registry });
    expect(r).toMatchObject({ kind: 'ok', payment: { network: DEVNET, asset: MINT, payTo: PAY_TO, amount: 1000n, payload: { family: 'solana', transaction: 'AQID' } } });
  });

  it('maps the v1 name solana-devnet', () => {
    const req = { scheme: 'exact', network: 'solana-devnet', asset: MINT, maxAmountRequired: '5', payTo: PAY_TO, maxTimeoutSeconds: 60, resource: 'https://x.test/r' };
    const r = parseFacilitatorRequest(
      { x402Version: 1, paymentPayload: { x402Version: 1, scheme: 'exact', network: 'solana-devnet', payload: { transaction: 'AQID' } }, paymentRequirements: req },
      { networks: registry },
    );
    expect(r).toMatchObject({ kind: 'ok', payment: { network: DEVNET, payloadNetwork: 'solana-devnet' } });
  });

  it.each([
    [{ transaction: 'not base64!' }, 'paymentPayload.payload.transaction'],
    [{ transaction: '' }, 'paymentPayload.payload.transaction'],
    [{ transaction: 7 }, 'paymentPayload.payload.transaction'],
    [{ transaction: 'A'.repeat(2000) }, 'paymentPayload.payload.transaction'],
  ])('refuses payload %p as malformed at %s', (payload, field) => {
    expect(parseFacilitatorRequest(body(payload), { networks: registry })).toMatchObject({ kind: 'malformed', field });
  });

  it('refuses EVM-style addresses on a Solana network', () => {
    expect(parseFacilitatorRequest(body({ transaction: 'AQID' }, { payTo: '0x' + '1'.repeat(40) }), { networks: registry })).toMatchObject({
      kind: 'malformed',
      field: 'paymentRequirements.payTo',
    });
  });

  it('never throws on fuzzed Solana payloads', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (payload, tx) => {
        for (const p of [payload, { transaction: tx }, { transaction: payload }]) {
          const r = parseFacilitatorRequest(body(p), { networks: registry });
          expect(['ok', 'malformed', 'unsupported']).toContain(r.kind);
        }
      }),
    );
  });
});
