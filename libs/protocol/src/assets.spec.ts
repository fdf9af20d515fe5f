import fc from 'fast-check';
import { AssetRegistry, DEFAULT_ASSETS, findAsset, formatAtomic, listAssets, parseDecimal, registerAsset } from './assets';
import { ProtocolError } from './errors';
import { randomAddress, seededRng } from './testing/request-builders';

const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

describe('asset registry', () => {
  it('knows both USDC domains (the name differs between Base and Base Sepolia)', () => {
    expect(findAsset('eip155:8453', BASE_USDC)).toMatchObject({ name: 'USD Coin', version: '2', decimals: 6, symbol: 'USDC' });
    expect(findAsset('eip155:84532', SEPOLIA_USDC)).toMatchObject({ name: 'USDC', version: '2', decimals: 6 });
  });

  it('finds checksum-insensitively and by v1 name', () => {
    expect(findAsset('eip155:8453', BASE_USDC.toLowerCase())?.address).toBe(BASE_USDC);
    expect(findAsset('base', `0x${BASE_USDC.slice(2).toUpperCase()}`)?.address).toBe(BASE_USDC);
    expect(findAsset('base-sepolia', SEPOLIA_USDC)).toBeDefined();
  });

  it('does not find a token on another network or an unknown address', () => {
    expect(findAsset('eip155:84532', BASE_USDC)).toBeUndefined();
    expect(findAsset('eip155:8453', randomAddress(seededRng(1)))).toBeUndefined();
    expect(findAsset('polygon', BASE_USDC)).toBeUndefined();
    expect(findAsset('eip155:8453', 'not-an-address')).toBeUndefined();
  });

  it('registers the local token at runtime', () => {
    const address = randomAddress(seededRng(2));
    registerAsset({ network: 'eip155:31337', address, name: 'Tollgate Dollar', version: '1', decimals: 6, symbol: 'TGD' });
    expect(findAsset('anvil', address.toLowerCase())?.name).toBe('Tollgate Dollar');
    expect(listAssets('eip155:31337')).toHaveLength(1);
    expect(listAssets()).toHaveLength(DEFAULT_ASSETS.length + 1);
  });

  it('treats re-registering an identical entry as a no-op and refuses a silent change', () => {
    const r = new AssetRegistry();
    const address = randomAddress(seededRng(3));
    const entry = { network: 'eip155:31337' as const, address, name: 'Token', version: '1', decimals: 18, symbol: 'TKN' };
    const first = r.register(entry);
    expect(r.register({ ...entry, address: address.toLowerCase() as `0x${string}` })).toBe(first);
    expect(() => r.register({ ...entry, version: '2' })).toThrow(ProtocolError);
    expect(r.find('eip155:31337', address)?.version).toBe('1');
    r.register({ ...entry, version: '2' }, { replace: true });
    expect(r.find('eip155:31337', address)?.version).toBe('2');
  });

  it.each([
    ['bad address', { address: '0x1234' }],
    ['non-CAIP-2 network', { network: 'base' }],
    ['fractional decimals', { decimals: 6.5 }],
    ['decimals above uint8', { decimals: 256 }],
    ['empty EIP-712 name', { name: '' }],
  ])('refuses %s', (_label, patch) => {
    const r = new AssetRegistry();
    const entry = { network: 'eip155:31337', address: randomAddress(seededRng(4)), name: 'T', version: '1', decimals: 6, symbol: 'T', ...patch };
    expect(() => r.register(entry as never)).toThrow(ProtocolError);
  });
});

describe('formatAtomic / parseDecimal', () => {
  it.each<[bigint, number, string]>([
    [0n, 6, '0'],
    [1_500_000n, 6, '1.5'],
    [1_000_000n, 6, '1'],
    [5n, 6, '0.000005'],
    [10_000n, 6, '0.01'],
    [123n, 0, '123'],
    [-1_500_000n, 6, '-1.5'],
    [(1n << 256n) - 1n, 18, '115792089237316195423570985008687907853269984665640564039457.584007913129639935'],
  ])('formatAtomic(%p, %p) = %p', (amount, decimals, text) => {
    expect(formatAtomic(amount, decimals)).toBe(text);
    expect(parseDecimal(text, decimals)).toBe(amount);
  });

  it('parses trailing zeros beyond the token precision', () => {
    expect(parseDecimal('1.50000000', 6)).toBe(1_500_000n);
    expect(parseDecimal('007', 2)).toBe(700n);
  });

  it.each(['', '.5', '1.', '1e6', '+1', ' 1', '1,5', '0x10', 'NaN', '1.0000001'])('parseDecimal(%p, 6) throws', (text) => {
    expect(() => parseDecimal(text, 6)).toThrow(ProtocolError);
  });

  it('refuses impossible decimals', () => {
    expect(() => formatAtomic(1n, -1)).toThrow(ProtocolError);
    expect(() => parseDecimal('1', 1.5)).toThrow(ProtocolError);
  });

  it('round-trips any amount at any precision', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 256n), max: 1n << 256n }), fc.integer({ min: 0, max: 36 }), (amount, decimals) => {
        expect(parseDecimal(formatAtomic(amount, decimals), decimals)).toBe(amount);
      }),
      { numRuns: 1000 },
    );
  });
});
