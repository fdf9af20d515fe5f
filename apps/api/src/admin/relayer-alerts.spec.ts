import { relayerAlerts } from './relayer-alerts';

describe('relayerAlerts', () => {
  const base = { balanceWei: 10n ** 18n, lowBalanceWei: 10n ** 16n, nextNonce: '7', chainNonce: 7 };

  it('amber below the threshold, red below a quarter of it, nothing when the threshold is 0 or the RPC did not answer', () => {
    expect(relayerAlerts(base).balanceLevel).toBe('ok');
    expect(relayerAlerts({ ...base, balanceWei: 9n * 10n ** 15n }).balanceLevel).toBe('low');
    expect(relayerAlerts({ ...base, balanceWei: 2n * 10n ** 15n }).balanceLevel).toBe('critical');
    expect(relayerAlerts({ ...base, balanceWei: 0n, lowBalanceWei: 0n }).balanceLevel).toBe('ok');
    expect(relayerAlerts({ ...base, balanceWei: null }).balanceLevel).toBe('unknown');
  });

  it('nonce drift is Tollgate’s next nonce minus the chain’s pending nonce', () => {
    expect(relayerAlerts(base).nonceDrift).toBe(0);
    expect(relayerAlerts({ ...base, nextNonce: '9' }).nonceDrift).toBe(2);
    expect(relayerAlerts({ ...base, chainNonce: 8 }).nonceDrift).toBe(-1);
    expect(relayerAlerts({ ...base, chainNonce: null }).nonceDrift).toBeNull();
  });
});
