import { canTransitionBatch, SettlementBatchStatus } from './settlement-batch-status';
import { checkEdges, conditionalStatusUpdate, NOW, StatusRunner } from '../status-writer';

/** Columns a batch transition may set besides `status` (`updated_at` is always set to now()). */
export interface SettlementBatchPatch {
  kind?: string;
  nonce?: number | string;
  gas_limit?: string;
  payment_count?: number;
  tx_hash?: string;
  block_number?: string;
  block_hash?: string;
  gas_used?: string;
  effective_gas_price?: string;
  fee_paid?: string;
  failure_reason?: string | null;
  submitted_at?: typeof NOW;
  included_at?: typeof NOW;
  confirmed_at?: typeof NOW;
}

const PATCHABLE = new Set<string>([
  'kind', 'nonce', 'gas_limit', 'payment_count', 'tx_hash', 'block_number', 'block_hash', 'gas_used', 'effective_gas_price',
  'fee_paid', 'failure_reason', 'submitted_at', 'included_at', 'confirmed_at',
]);

/**
 * The only writer of settlement batch status: one conditional UPDATE
 * (`WHERE id = $id AND status = ANY($from)`), edges checked against SETTLEMENT_BATCH_TRANSITIONS.
 * There is no batch history table (a batch's story is in its payments' events and its relayer
 * transactions), so nothing else is appended.
 */
export class SettlementBatchStore {
  /**
   * Moves batch `id` from one of `from` to `to`, setting `patch` and `updated_at = now()`.
   * @returns true when the batch moved; false when it was not in any of `from` (nothing written).
   * @throws Error for an edge the state machine does not have (a programming error).
   */
  async transition(
    runner: StatusRunner,
    id: string,
    from: SettlementBatchStatus | readonly SettlementBatchStatus[],
    to: SettlementBatchStatus,
    patch: SettlementBatchPatch = {},
  ): Promise<boolean> {
    const fromList: readonly SettlementBatchStatus[] = typeof from === 'string' ? [from] : from;
    checkEdges('settlement batch', fromList, to, canTransitionBatch);
    const moved = await conditionalStatusUpdate(
      runner,
      { table: 'settlement_batches', key: 'id', patchable: PATCHABLE, always: ['updated_at = now()'] },
      (bind) => `id = ${bind(id)}`,
      fromList,
      to,
      patch as Record<string, unknown>,
    );
    return moved.length > 0;
  }
}
