import { canTransitionRelayerTx, RELAYER_TRANSACTION_STATUSES, relayerTxSourcesOf } from './relayer-transaction-status';

describe('relayer transaction state machine', () => {
  const edges = RELAYER_TRANSACTION_STATUSES.flatMap((from) => RELAYER_TRANSACTION_STATUSES.map((to) => [from, to] as const));

  it('allows exactly the edges of the diagram: every change between distinct statuses (the chain decides, a reorg undoes)', () => {
    const allowed = edges.filter(([from, to]) => canTransitionRelayerTx(from, to)).map(([from, to]) => `${from}→${to}`);
    expect(allowed.sort()).toEqual(
      [
        'pending→included', 'pending→replaced', 'pending→dropped',
        'included→replaced', 'included→dropped', 'included→pending',
        'replaced→included', 'replaced→dropped', 'replaced→pending',
        'dropped→included', 'dropped→replaced', 'dropped→pending',
      ].sort(),
    );
  });

  it('has no final status and no self-edge', () => {
    for (const s of RELAYER_TRANSACTION_STATUSES) {
      expect(canTransitionRelayerTx(s, s)).toBe(false);
      expect(relayerTxSourcesOf(s)).not.toContain(s);
      expect(RELAYER_TRANSACTION_STATUSES.some((to) => canTransitionRelayerTx(s, to))).toBe(true);
    }
  });

  it('revives to pending only what is not pending (re-broadcast at a gap)', () => {
    expect(relayerTxSourcesOf('pending').sort()).toEqual(['dropped', 'included', 'replaced']);
  });
});
