/**
 * Sizing batches by gas under a network's per-transaction gas cap (`TX_GAS_CAP[_<chainId>]`; EIP-7825 caps a
 * transaction at 2^24 gas from Osaka on, and such a chain refuses a larger gas limit outright). A 250-row
 * batch to distinct payees uses ≈ 13.5 M gas, ≈ 17.5 M padded: over the cap. Two parts:
 * - the submitter measures the claimed batch and, when its padded gas would exceed the cap, keeps the rows
 *   with the earliest deadlines that fit and gives the others back to the queue ({@link sizeUnderGasCap});
 * - the lane scheduler claims no more rows than the lane's last measured gas per row says will fit
 *   ({@link LaneGasEstimates}), so the split is the exception, not the rule.
 */

/** Added to every padded gas limit: the intrinsic/calldata share that padding by percentage underrates for tiny batches. */
export const GAS_PADDING_FLAT = 10_000n;

/** Gas limit a batch is sent with: gas used × (1 + padding %) + {@link GAS_PADDING_FLAT}. */
export function paddedGas(used: bigint, paddingPercent: number): bigint {
  return (used * BigInt(100 + paddingPercent)) / 100n + GAS_PADDING_FLAT;
}

/**
 * What to do with a batch of `rows` rows that used `used` gas in one execution:
 * - `fits`: send it all with `gasLimit` (never above `cap`);
 * - `split`: keep the first `keep` rows (the earliest deadlines; 1 ≤ keep < rows) and measure again.
 *
 * `keep` assumes gas grows in proportion to rows; the batch's fixed cost (intrinsic gas, the multicall
 * frame) is thereby spread over the rows, so a second measurement may still be slightly over and split
 * again — each split strictly shrinks the batch, and a lone row always fits: it cannot be split, so its
 * limit is clamped to the cap (at the smallest allowed cap, 100k, far above the ≈ 60k it uses).
 * @param cap the network's per-transaction gas cap (gas units).
 */
export function sizeUnderGasCap(
  rows: number,
  used: bigint,
  paddingPercent: number,
  cap: number,
): { kind: 'fits'; gasLimit: bigint } | { kind: 'split'; keep: number } {
  const limit = BigInt(cap);
  const padded = paddedGas(used, paddingPercent);
  if (padded <= limit) return { kind: 'fits', gasLimit: padded };
  if (rows <= 1) return { kind: 'fits', gasLimit: limit };
  // Most gas a batch may use so that its padded limit stays within the cap.
  const budget = ((limit - GAS_PADDING_FLAT) * 100n) / BigInt(100 + paddingPercent);
  const proportional = budget > 0n ? Number((BigInt(rows) * budget) / used) : 0;
  return { kind: 'split', keep: Math.min(rows - 1, Math.max(1, proportional)) };
}

/**
 * Per lane, the padded gas per row of the last batch measured in this process, and from it how many rows
 * the scheduler claims at most. In-process only: a sizing hint, not state — another worker process learns
 * from its own batches, and the submitter's split enforces the cap whatever was claimed.
 */
export class LaneGasEstimates {
  private readonly paddedPerRow = new Map<string, bigint>();

  /** Records a measurement of a multi-row batch (a lone row is a direct transfer, not a batch row). */
  record(network: string, asset: string, rows: number, used: bigint, paddingPercent: number): void {
    if (rows < 2) return;
    this.paddedPerRow.set(key(network, asset), (paddedGas(used, paddingPercent) + BigInt(rows) - 1n) / BigInt(rows));
  }

  /**
   * Rows to claim for the lane: `maxBatchSize`, or fewer when the last measured gas per row says fewer fit
   * under `cap` (at least 1).
   */
  rowLimit(network: string, asset: string, maxBatchSize: number, cap: number): number {
    const perRow = this.paddedPerRow.get(key(network, asset));
    if (perRow === undefined || perRow === 0n) return maxBatchSize;
    return Math.max(1, Math.min(maxBatchSize, Number(BigInt(cap) / perRow)));
  }
}

const key = (network: string, asset: string): string => `${network}/${asset.toLowerCase()}`;
