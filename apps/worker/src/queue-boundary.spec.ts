import { UnrecoverableError } from 'bullmq';
import { PermanentSettlementCode, PermanentSettlementError, RpcError } from '@tollgate/settlement';
import { toQueueError } from './queue-boundary';

describe('the worker’s BullMQ boundary', () => {
  it('makes permanent settlement faults unrecoverable jobs, keeping the code', () => {
    const out = toQueueError(new PermanentSettlementError(PermanentSettlementCode.BatchNotFound, 'batch b1 does not exist'));
    expect(out).toBeInstanceOf(UnrecoverableError);
    expect((out as Error).message).toBe('batch_not_found: batch b1 does not exist');
    expect(toQueueError(new RpcError('permanent', 'insufficient funds'))).toBeInstanceOf(UnrecoverableError);
  });

  it('leaves transient faults to BullMQ’s retries', () => {
    const transient = new RpcError('transient', 'fetch failed');
    expect(toQueueError(transient)).toBe(transient);
    const other = new Error('database unreachable');
    expect(toQueueError(other)).toBe(other);
  });
});
