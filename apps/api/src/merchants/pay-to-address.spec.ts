import { canonicalPayTo } from './pay-to-address';

describe('canonicalPayTo (payTo addresses per chain family)', () => {
  it('stores an EVM address lower-case, whatever its checksum casing', () => {
    expect(canonicalPayTo('0xAbCdEf0123456789aBcDeF0123456789ABCDEF01')).toBe('0xabcdef0123456789abcdef0123456789abcdef01');
  });

  it('keeps a Solana address (base58 of 32 bytes) exactly as given: base58 is case-significant', () => {
    for (const a of ['So11111111111111111111111111111111111111112', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', '11111111111111111111111111111111']) {
      expect(canonicalPayTo(a)).toBe(a);
    }
  });

  it('refuses what is neither', () => {
    for (const a of [
      '',
      '0x123',
      '0xZZcdef0123456789abcdef0123456789abcdef01',
      'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGk', // 27 bytes
      '1111111111111111111111111111111', // 31 zero bytes
      'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1vv', // 45 characters
      'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1O', // O is not base58
    ]) {
      expect({ a, c: canonicalPayTo(a) }).toEqual({ a, c: null });
    }
  });
});
