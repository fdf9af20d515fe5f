import { canTransitionRelayerTx, RelayerTransactionStatus } from './relayer-transaction-status';
import { checkEdges, conditionalStatusUpdate, StatusRunner } from '../status-writer';

/** Which relayer transactions a transition considers (all given conditions hold). */
export interface RelayerTxSelector {
  batchId?: string;
  txHash?: string;
  /** Every version except this hash. */
  exceptTxHash?: string;
  /** The versions of one nonce of one relayer. */
  nonceOf?: { network: string; relayer: string; nonce: number | string };
  /** Only versions never put on the wire (`broadcast_at IS NULL`). */
  neverBroadcast?: boolean;
}

/** Columns a relayer transaction transition may set besides `status`. */
export interface RelayerTxPatch {
  /** null restarts the replacement clock of a version that goes back on the wire. */
  broadcast_at?: null;
}

const PATCHABLE = new Set<string>(['broadcast_at']);

/**
 * The only writer of relayer transaction status: one conditional UPDATE over the selected versions
 * (`AND status = ANY($from)`), edges checked against RELAYER_TRANSACTION_TRANSITIONS. There is no
 * history table for relayer transactions, so nothing else is appended.
 */
export class RelayerTransactionStore {
  /**
   * @returns the (lower-case) hashes that moved; empty when none of the selected versions was in `from`.
   * @throws Error for an edge the state machine does not have, or a selector that selects no batch, hash or nonce.
   */
  async transition(
    runner: StatusRunner,
    sel: RelayerTxSelector,
    from: RelayerTransactionStatus | readonly RelayerTransactionStatus[],
    to: RelayerTransactionStatus,
    patch: RelayerTxPatch = {},
  ): Promise<string[]> {
    const fromList: readonly RelayerTransactionStatus[] = typeof from === 'string' ? [from] : from;
    checkEdges('relayer transaction', fromList, to, canTransitionRelayerTx);
    if (!sel.batchId && !sel.txHash && !sel.nonceOf) throw new Error('a relayer transaction transition needs a batch, a hash or a nonce');
    return conditionalStatusUpdate(
      runner,
      { table: 'relayer_transactions', key: 'tx_hash', patchable: PATCHABLE, always: [] },
      (bind) => {
        const where: string[] = [];
        if (sel.nonceOf) where.push(`network = ${bind(sel.nonceOf.network)}`, `relayer = ${bind(sel.nonceOf.relayer)}`, `nonce = ${bind(sel.nonceOf.nonce)}`);
        if (sel.batchId) where.push(`batch_id = ${bind(sel.batchId)}`);
        if (sel.txHash) where.push(`tx_hash = ${bind(sel.txHash)}`);
        if (sel.exceptTxHash) where.push(`tx_hash <> ${bind(sel.exceptTxHash)}`);
        if (sel.neverBroadcast) where.push('broadcast_at IS NULL');
        return where.join(' AND ');
      },
      fromList,
      to,
      patch as Record<string, unknown>,
    );
  }
}
