import { GapCandidate, gapFillDecision, nonceGap } from './nonce-gaps';

const candidate = (o: Partial<GapCandidate> = {}): GapCandidate => ({
  txHash: '0xaa',
  purpose: 'settle',
  maxFeePerGas: 10n,
  settlesSomething: true,
  inPool: false,
  ...o,
});

describe('nonceGap', () => {
  it('is 0 when nothing is live or the chain has reached the lowest live nonce', () => {
    expect(nonceGap(5, null)).toBe(0);
    expect(nonceGap(5, 5)).toBe(0);
    // The chain ahead of what we track (e.g. a transaction just mined, not yet marked): not a gap.
    expect(nonceGap(7, 5)).toBe(0);
  });

  it('counts the nonces below the lowest live one that the chain has not mined', () => {
    // Issue 13: A at n dropped by a reorg, C pending at n + 1.
    expect(nonceGap(4, 5)).toBe(1);
    expect(nonceGap(2, 5)).toBe(3);
  });
});

describe('gapFillDecision', () => {
  it('re-broadcasts the dropped settle transaction while it can still settle something and pay the base fee', () => {
    expect(gapFillDecision([candidate()], 5n)).toEqual({ action: 'rebroadcast', txHash: '0xaa' });
  });

  it('sends a filler when every authorization of the dropped transaction was settled elsewhere or expired', () => {
    expect(gapFillDecision([candidate({ settlesSomething: false })], 5n)).toEqual({ action: 'filler' });
  });

  it('sends a filler when the dropped transaction cannot pay the current base fee', () => {
    expect(gapFillDecision([candidate({ maxFeePerGas: 4n })], 5n)).toEqual({ action: 'filler' });
  });

  it('sends a filler when nothing is stored at the nonce, or only cancels and fillers', () => {
    expect(gapFillDecision([], 5n)).toEqual({ action: 'filler' });
    expect(gapFillDecision([candidate({ purpose: 'cancel' }), candidate({ purpose: 'filler', txHash: '0xbb' })], 5n)).toEqual({ action: 'filler' });
  });

  it('waits for a version the node still holds (re-injected after the reorg) when it can be mined', () => {
    expect(gapFillDecision([candidate({ inPool: true, settlesSomething: false })], 5n)).toEqual({ action: 'wait', txHash: '0xaa' });
  });

  it('does not wait for a held version priced below the base fee: it would never be mined', () => {
    expect(gapFillDecision([candidate({ inPool: true, maxFeePerGas: 1n, settlesSomething: false })], 5n)).toEqual({ action: 'filler' });
  });

  it('prefers the newest useful settle transaction (candidates come newest first)', () => {
    const newer = candidate({ txHash: '0x01' });
    const older = candidate({ txHash: '0x02' });
    expect(gapFillDecision([newer, older], 5n)).toEqual({ action: 'rebroadcast', txHash: '0x01' });
  });
});
