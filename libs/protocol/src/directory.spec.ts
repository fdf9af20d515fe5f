import { NetworkDirectory } from './directory';
import { ProtocolError } from './errors';
import { parseFacilitatorRequest } from './request-parser';

const token = { address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', name: 'USD Coin', version: '2', decimals: 6, symbol: 'USDC' } as const;

describe('NetworkDirectory (served networks and tokens, from configuration)', () => {
  it('serves exactly the configured networks, whatever their chain id', () => {
    const d = new NetworkDirectory([{ network: 'eip155:31338', chainId: 31338, assets: [token] }]);
    expect(d.networks.list().map((n) => n.network)).toEqual(['eip155:31338']);
    expect(d.networks.has('eip155:31338')).toBe(true);
    expect(d.networks.has('eip155:31337')).toBe(false);
    expect(d.networks.has('base')).toBe(false);
  });

  it('gives a chain id no v1 name unless x402 v1 has one for it', () => {
    const d = new NetworkDirectory([
      { network: 'eip155:31338', chainId: 31338, assets: [] },
      { network: 'eip155:84532', chainId: 84532, assets: [] },
    ]);
    expect(d.networks.v1NameOf('eip155:31338')).toBeUndefined();
    expect(d.networks.v1NameOf('eip155:84532')).toBe('base-sepolia');
    expect(d.networks.toCaip2('base-sepolia')).toBe('eip155:84532');
  });

  it('holds the configured tokens under their network', () => {
    const d = new NetworkDirectory([{ network: 'eip155:31338', chainId: 31338, assets: [token] }]);
    expect(d.assets.find('eip155:31338', token.address.toLowerCase())).toMatchObject({ name: 'USD Coin', network: 'eip155:31338' });
    expect(d.assets.list()).toHaveLength(1);
  });

  it('refuses a network whose CAIP-2 id does not match its chain id', () => {
    expect(() => new NetworkDirectory([{ network: 'eip155:1', chainId: 2, assets: [] }])).toThrow(ProtocolError);
  });

  it('is what the request parser serves: a configured unlisted chain parses, an unconfigured known one does not', () => {
    const d = new NetworkDirectory([{ network: 'eip155:31338', chainId: 31338, assets: [token] }]);
    const body = (network: string) => ({
      x402Version: 2,
      paymentPayload: {
        x402Version: 2,
        accepted: { scheme: 'exact', network, asset: token.address, amount: '1', payTo: token.address, maxTimeoutSeconds: 60 },
        payload: {
          signature: `0x${'11'.repeat(65)}`,
          authorization: { from: token.address, to: token.address, value: '1', validAfter: '0', validBefore: '9999999999', nonce: `0x${'22'.repeat(32)}` },
        },
      },
      paymentRequirements: { scheme: 'exact', network, asset: token.address, amount: '1', payTo: token.address, maxTimeoutSeconds: 60, extra: { name: 'USD Coin', version: '2' } },
    });
    expect(parseFacilitatorRequest(body('eip155:31338'), { networks: d.networks }).kind).toBe('ok');
    expect(parseFacilitatorRequest(body('eip155:8453'), { networks: d.networks })).toMatchObject({ kind: 'unsupported', reason: 'invalid_network' });
  });
});
