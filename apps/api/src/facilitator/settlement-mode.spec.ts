import type { AuthenticatedMerchant } from '../merchants/merchants.service';
import { decideMode } from './facilitator.service';

/** A merchant with the given policy (the rest is irrelevant to the decision). */
const merchant = (settlementMode: 'deferred' | 'confirmed', confirmedThreshold: bigint | null): AuthenticatedMerchant => ({
  id: '00000000-0000-0000-0000-000000000001',
  name: 'm',
  status: 'active',
  settlementMode,
  confirmedThreshold,
  maxUnsettledExposure: null,
  payTo: new Set(),
  rateLimitPerSecond: null,
  keyId: '00000000-0000-0000-0000-000000000002',
});

/**
 * The settlement mode of a `/settle` from the merchant policy (see README "Settlement modes"): the
 * `x-tollgate-settlement-mode` header, when sent, wins (the service takes it before this policy); otherwise
 * confirmed at or above the merchant's amount threshold, else the merchant's default mode.
 */
describe('decideMode (merchant settlement policy)', () => {
  it('without a threshold every amount gets the default mode', () => {
    expect(decideMode(merchant('deferred', null), 0n)).toBe('deferred');
    expect(decideMode(merchant('deferred', null), 10n ** 30n)).toBe('deferred');
    expect(decideMode(merchant('confirmed', null), 1n)).toBe('confirmed');
  });

  it('confirmed at or above the threshold, the default below it (units: atomic token units)', () => {
    const m = merchant('deferred', 1_000_000n);
    expect(decideMode(m, 999_999n)).toBe('deferred');
    expect(decideMode(m, 1_000_000n)).toBe('confirmed');
    expect(decideMode(m, 1_000_001n)).toBe('confirmed');
  });

  it('a threshold never downgrades a confirmed-by-default merchant', () => {
    const m = merchant('confirmed', 1_000_000n);
    expect(decideMode(m, 1n)).toBe('confirmed');
    expect(decideMode(m, 5_000_000n)).toBe('confirmed');
  });

  it('a zero threshold makes every payment confirmed', () => {
    expect(decideMode(merchant('deferred', 0n), 0n)).toBe('confirmed');
  });
});
