import fc from 'fast-check';
import { LaneGasEstimates, paddedGas, sizeUnderGasCap } from './batch-sizing';

const EIP7825_CAP = 16_777_216;

describe('sizeUnderGasCap', () => {
  it('sends a batch whose padded gas fits as it is, with that padded limit', () => {
    expect(sizeUnderGasCap(100, 5_400_000n, 30, EIP7825_CAP)).toEqual({ kind: 'fits', gasLimit: 7_030_000n });
  });

  it('splits the 250-row distinct-payee batch that asked for 17.5 M gas, keeping what fits under 2^24', () => {
    const used = 13_450_000n; // ≈ 53.8k per row to fresh payees; padded ≈ 17.5 M
    expect(paddedGas(used, 30)).toBeGreaterThan(BigInt(EIP7825_CAP));
    const size = sizeUnderGasCap(250, used, 30, EIP7825_CAP);
    expect(size.kind).toBe('split');
    const keep = (size as { keep: number }).keep;
    expect(keep).toBeLessThan(250);
    expect(paddedGas((used * BigInt(keep)) / 250n, 30)).toBeLessThanOrEqual(BigInt(EIP7825_CAP));
    expect(keep).toBeGreaterThan(230); // not needlessly small
  });

  it('never splits a lone row: its limit is clamped to the cap', () => {
    expect(sizeUnderGasCap(1, 90_000n, 30, 100_000)).toEqual({ kind: 'fits', gasLimit: 100_000n });
  });

  it('keeps at least one row and always shrinks a batch it splits', () => {
    expect(sizeUnderGasCap(2, 5_000_000n, 30, 100_000)).toEqual({ kind: 'split', keep: 1 });
  });

  it('re-measuring after each split ends, within a few rounds, on the largest batch under the cap (linear gas model)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 250 }),
        fc.integer({ min: 21_000, max: 120_000 }), // fixed cost of a transaction: intrinsic gas, multicall frame
        fc.integer({ min: 25_000, max: 80_000 }), // per row
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 200_000, max: EIP7825_CAP }),
        (rows, fixed, perRow, padding, cap) => {
          const gasOf = (n: number) => BigInt(fixed + perRow * n);
          let n = rows;
          let rounds = 0;
          for (;;) {
            const size = sizeUnderGasCap(n, gasOf(n), padding, cap);
            rounds++;
            if (size.kind === 'fits') {
              expect(size.gasLimit).toBeLessThanOrEqual(BigInt(cap));
              break;
            }
            expect(size.keep).toBeGreaterThanOrEqual(1);
            expect(size.keep).toBeLessThan(n);
            n = size.keep;
          }
          // Maximal up to one row, unless even one row does not fit (then the lone row is clamped).
          if (n < rows && paddedGas(gasOf(1), padding) <= BigInt(cap)) {
            expect(paddedGas(gasOf(n + 2), padding)).toBeGreaterThan(BigInt(cap));
          }
          expect(rounds).toBeLessThanOrEqual(6);
        },
      ),
    );
  });
});

describe('LaneGasEstimates', () => {
  it('claims BATCH_MAX_SIZE until a batch of the lane was measured', () => {
    expect(new LaneGasEstimates().rowLimit('eip155:8453', '0xA', 100, EIP7825_CAP)).toBe(100);
  });

  it('claims only as many rows as the last measured gas per row fits under the cap', () => {
    const e = new LaneGasEstimates();
    e.record('eip155:8453', '0xAbC', 30, 1_200_000n, 30); // padded ≈ 52.3k per row
    expect(e.rowLimit('eip155:8453', '0xabc', 100, 600_000)).toBe(11);
    expect(e.rowLimit('eip155:8453', '0xabc', 5, 600_000)).toBe(5);
    expect(e.rowLimit('eip155:84532', '0xabc', 100, 600_000)).toBe(100);
  });

  it('ignores lone-row measurements (a direct transfer, not a batch row) and claims at least one row', () => {
    const e = new LaneGasEstimates();
    e.record('n', 'a', 1, 10_000_000n, 30);
    expect(e.rowLimit('n', 'a', 100, 600_000)).toBe(100);
    e.record('n', 'a', 2, 10_000_000n, 30);
    expect(e.rowLimit('n', 'a', 100, 600_000)).toBe(1);
  });
});
