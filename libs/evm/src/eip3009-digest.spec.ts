import fc from 'fast-check';
import { Address, getAddress, hashTypedData, toHex } from 'viem';
import { tokenDomain, transferAuthorizationTypedData } from './eip3009';
import { eip3009Digest } from './eip3009-digest';

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(toHex(b)) as Address);
const uint256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });

describe('eip3009Digest', () => {
  it('equals viem hashTypedData for any authorization and domain', () => {
    fc.assert(
      fc.property(
        fc.record({ name: fc.string(), version: fc.string({ maxLength: 4 }), chainId: fc.integer({ min: 1, max: 2 ** 40 }), token: address }),
        fc.record({ from: address, to: address, value: uint256, validAfter: uint256, validBefore: uint256, nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)) }),
        (d, a) => {
          const expected = hashTypedData(transferAuthorizationTypedData(tokenDomain({ name: d.name, version: d.version, chainId: d.chainId, asset: d.token }), a));
          return eip3009Digest(d, a) === expected;
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('rejects values outside uint256', () => {
    const a = { from: getAddress('0x' + '11'.repeat(20)), to: getAddress('0x' + '22'.repeat(20)), value: 1n << 256n, validAfter: 0n, validBefore: 1n, nonce: toHex(new Uint8Array(32)) };
    expect(() => eip3009Digest({ name: 'USD Coin', version: '2', chainId: 1, token: a.from }, a)).toThrow(RangeError);
  });
});
