import { batchRowOutcome, countBatchRows } from './batch-outcomes';

describe('batch row outcomes', () => {
  const row = (status: string, still_in_batch: boolean, left_with: { to_status: string; reason: string | null } | null = null) => ({ status, still_in_batch, left_with });

  it('a row the simulation dropped (failed, batch id kept) has left the batch; it is not "pending"', () => {
    const dropped = row('failed', true, { to_status: 'failed', reason: 'invalid_exact_evm_insufficient_balance' });
    expect(batchRowOutcome(dropped)).toBe('left');
  });

  it('landed, pending and left rows add up to the rows listed', () => {
    const rows = [
      row('confirmed', true),
      row('included', true),
      row('submitted', true),
      row('failed', true, { to_status: 'failed', reason: 'invalid_exact_evm_insufficient_balance' }),
      row('queued', false, { to_status: 'queued', reason: 'reorged' }),
      row('confirmed', false, { to_status: 'queued', reason: 'tollgate_rpc_error' }),
    ];
    expect(rows.map(batchRowOutcome)).toEqual(['landed', 'landed', 'pending', 'left', 'left', 'left']);
    expect(countBatchRows(rows)).toEqual({ claimed: 6, landed: 2, pending: 1, left: 3 });
  });
});
