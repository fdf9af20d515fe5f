import { UnrecoverableError } from 'bullmq';
import { PermanentSettlementError, RpcError } from '@tollgate/settlement';

/**
 * Translates what a settlement handler threw into what BullMQ understands: a permanent settlement fault
 * ({@link PermanentSettlementError}, or an RPC answer that will never change) becomes `UnrecoverableError`,
 * so the queue does not retry it; everything else is returned unchanged and retried with backoff.
 * Rate limits are handled by the caller (they pause the whole queue).
 */
export function toQueueError(e: unknown): unknown {
  if (e instanceof PermanentSettlementError) return new UnrecoverableError(`${e.code}: ${e.message}`);
  if (e instanceof RpcError && e.kind === 'permanent') return new UnrecoverableError(e.message);
  return e;
}
