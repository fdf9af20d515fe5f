/**
 * A relayer's alert levels from what the console read: its balance against the network's low-balance
 * threshold (below: `low`, amber; below a quarter of it: `critical`, red — a batch or two from failing for
 * gas; a threshold of 0 never alerts), and the drift between the next nonce Tollgate will allocate and the
 * chain's pending nonce. Drift is normally 0 (every allocated nonce broadcast) or briefly positive while a
 * batch is signed but not yet broadcast; a lasting positive drift is a nonce gap the worker's healer fills,
 * a negative one means something else sent from the relayer's key.
 */
export function relayerAlerts(r: { balanceWei: bigint | null; lowBalanceWei: bigint; nextNonce: string | null; chainNonce: number | null }): {
  balanceLevel: 'ok' | 'low' | 'critical' | 'unknown';
  nonceDrift: number | null;
} {
  let balanceLevel: 'ok' | 'low' | 'critical' | 'unknown' = 'unknown';
  if (r.balanceWei !== null) {
    if (r.lowBalanceWei > 0n && r.balanceWei < r.lowBalanceWei / 4n) balanceLevel = 'critical';
    else if (r.lowBalanceWei > 0n && r.balanceWei < r.lowBalanceWei) balanceLevel = 'low';
    else balanceLevel = 'ok';
  }
  const nonceDrift = r.nextNonce !== null && r.chainNonce !== null ? Number(BigInt(r.nextNonce) - BigInt(r.chainNonce)) : null;
  return { balanceLevel, nonceDrift };
}
