import fc from 'fast-check';
import { bytesToHex } from 'viem';
import { fastKeccak256, jsKeccak256, nativeKeccak256 } from './keccak';

describe('Keccak-256', () => {
  const native = nativeKeccak256();

  it('loads the native binding on this machine (the fast path the benchmarks measure)', () => {
    expect(native).not.toBeNull();
    expect(fastKeccak256).not.toBe(jsKeccak256); // the native sponge was chosen at load, not the fallback
    expect(bytesToHex(fastKeccak256(new Uint8Array(0)))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('native and pure-JS digests agree on any input, from empty to several blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1000 }), (data) => bytesToHex(native!(data)) === bytesToHex(jsKeccak256(data))),
      { numRuns: 500, seed: 11 },
    );
  });

  it('agree on a batch-sized transaction (70 KB) and on views into a larger buffer', () => {
    const big = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    expect(bytesToHex(native!(big))).toBe(bytesToHex(jsKeccak256(big)));
    const view = big.subarray(1000, 1066);
    expect(bytesToHex(native!(view))).toBe(bytesToHex(jsKeccak256(view)));
  });
});
