import { EntityManager } from 'typeorm';
import { Address, Hex, TransactionReceiptNotFoundError } from 'viem';
import { authorizationKey, authorizationsUsed, eip3009Abi, recentAuthorizationEvent, SettlementRow } from '@tollgate/evm';
import { FINAL_BATCH_STATUSES, PaymentStatus, relayerTxSourcesOf } from '@tollgate/persistence';
import { SettlementContext } from './settlement-context';
import { batchStatus, relayerTxStatus } from './status-stores';

/** What to do with a row that did not (or would not) land. */
export type RowVerdict =
  | { action: 'landed-elsewhere-ours'; txHash: Hex; blockNumber: bigint; blockHash: Hex; logIndex: number }
  | { action: 'fail'; reason: string; message: string; detail?: Record<string, unknown> }
  | { action: 'requeue'; reason: string; message: string };

/** A row as stored, with what the classifier needs. */
export interface StoredRow extends SettlementRow {
  attempts: number;
}

/**
 * Explains why authorizations did not land (or would not, when run before submission) from chain
 * state — never by re-simulating at the receipt's block: `authorizationState` (used or cancelled,
 * told apart by the `AuthorizationCanceled` log, and "used" attributed to the transaction that did
 * it), expiry against the chain's clock, the payer's balance, and the revert reason when known.
 * Retriable causes (balance may be topped up, gas starvation) re-queue until `maxAttempts`.
 */
export class RowClassifier {
  constructor(private readonly ctx: SettlementContext) {}

  async classify(network: string, token: Address, rows: StoredRow[], revertReasons: Map<string, string> = new Map()): Promise<Map<string, RowVerdict>> {
    const client = this.ctx.chains.get(network);
    const verdicts = new Map<string, RowVerdict>();
    if (rows.length === 0) return verdicts;
    const [block, states, balances] = await Promise.all([
      client.getBlock({ blockTag: 'latest' }),
      Promise.all(rows.map((r) => client.readContract({ address: token, abi: eip3009Abi, functionName: 'authorizationState', args: [r.from, r.nonce] }))),
      Promise.all(rows.map((r) => client.readContract({ address: token, abi: eip3009Abi, functionName: 'balanceOf', args: [r.from] }))),
    ]);
    const maxAttempts = this.ctx.config.settlement.maxAttempts;
    for (const [i, r] of rows.entries()) {
      const revert = revertReasons.get(r.paymentId) ?? '';
      if (states[i]) {
        verdicts.set(r.paymentId, await this.usedOrCancelled(network, token, r));
        continue;
      }
      if (r.validBefore <= block.timestamp + 2n) {
        verdicts.set(r.paymentId, {
          action: 'fail',
          reason: 'invalid_exact_evm_payload_authorization_valid_before',
          message: `authorization expired (validBefore ${r.validBefore}, chain time ${block.timestamp})`,
        });
        continue;
      }
      if (/invalid signature/i.test(revert)) {
        verdicts.set(r.paymentId, { action: 'fail', reason: 'invalid_exact_evm_signature', message: `the token rejects the signature: ${revert}` });
        continue;
      }
      const retry = (reason: string, message: string): RowVerdict =>
        r.attempts + 1 >= maxAttempts
          ? { action: 'fail', reason, message: `${message}; gave up after ${r.attempts + 1} attempts` }
          : { action: 'requeue', reason, message };
      if (balances[i] < r.value || /exceeds balance/i.test(revert)) {
        verdicts.set(r.paymentId, retry('invalid_exact_evm_insufficient_balance', `payer balance ${balances[i]} is below ${r.value} (atomic units)`));
        continue;
      }
      if (revert) {
        verdicts.set(r.paymentId, retry('invalid_exact_evm_transaction_failed', `transferWithAuthorization reverted: ${revert}`));
        continue;
      }
      // No revert reason and nothing wrong on chain: starved by the 63/64 gas rule or a reverted batch.
      verdicts.set(r.paymentId, retry('tollgate_row_not_executed', 'row did not execute (gas starvation or reverted transaction)'));
    }
    return verdicts;
  }

  private async usedOrCancelled(network: string, token: Address, r: StoredRow): Promise<RowVerdict> {
    const client = this.ctx.chains.get(network);
    // Our own transactions first, by receipt: no log range is involved, so a provider that refuses wide
    // eth_getLogs ranges can never make a payment we did settle look failed. Outside the try: when the
    // receipts cannot be read (the node errs or hangs), no verdict is possible — a payment our own re-broadcast
    // settled would be failed as `nonce_already_used` while the money moved (seen in the 10,000-payment fault
    // run under injected RPC errors). The error propagates and the job retries, as for the reads above.
    const ours = await this.settledByUs(network, token, r);
    if (ours) return ours;
    try {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      const [cancelled, used] = await Promise.all([
        this.recentEvent(network, token, 'AuthorizationCanceled', r, head),
        this.recentEvent(network, token, 'AuthorizationUsed', r, head),
      ]);
      if (cancelled) {
        return { action: 'fail', reason: 'tollgate_authorization_cancelled', message: `the payer cancelled authorization ${r.nonce} on chain`, detail: { txHash: cancelled.transactionHash } };
      }
      if (used?.transactionHash) {
        if (await this.ctx.repos.relayerTxs.exists(used.transactionHash.toLowerCase())) {
          return { action: 'landed-elsewhere-ours', txHash: used.transactionHash, blockNumber: used.blockNumber!, blockHash: used.blockHash!, logIndex: used.logIndex ?? 0 };
        }
        const tx = await client.getTransaction({ hash: used.transactionHash }).catch(() => null);
        return {
          action: 'fail',
          reason: 'tollgate_authorization_used_elsewhere',
          message: `authorization was settled by another transaction ${used.transactionHash}${tx ? ` sent by ${tx.from}` : ''}`,
          detail: { txHash: used.transactionHash, sender: tx?.from ?? null },
        };
      }
    } catch {
      // The node refused or failed the lookups: we only know it is used or cancelled.
    }
    return { action: 'fail', reason: 'invalid_exact_evm_nonce_already_used', message: `authorization ${r.nonce} is already used or cancelled on chain` };
  }

  /**
   * The inclusion of this authorization by one of the transactions Tollgate broadcast for any batch the
   * payment was ever in (its current batch and earlier ones, from its `batched` events), read from their
   * receipts.
   */
  private async settledByUs(network: string, token: Address, r: StoredRow): Promise<RowVerdict | null> {
    const hashes = await this.ctx.repos.relayerTxs.hashesForPayment(r.paymentId);
    const client = this.ctx.chains.get(network);
    const key = authorizationKey(r.from, r.nonce);
    for (const tx_hash of hashes) {
      const receipt = await client.getTransactionReceipt({ hash: tx_hash as Hex }).catch((e: unknown) => {
        if (e instanceof TransactionReceiptNotFoundError) return null;
        throw e;
      });
      if (!receipt || receipt.status !== 'success') continue;
      const logIndex = authorizationsUsed(token, receipt.logs).get(key);
      if (logIndex !== undefined) {
        return { action: 'landed-elsewhere-ours', txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, logIndex };
      }
    }
    return null;
  }

  /** {@link recentAuthorizationEvent} for this row (the payment passed Tollgate's verify with the nonce unused). */
  private recentEvent(network: string, token: Address, eventName: 'AuthorizationUsed' | 'AuthorizationCanceled', r: StoredRow, head: bigint) {
    return recentAuthorizationEvent(this.ctx.chains.get(network), token, eventName, r.from, r.nonce, head);
  }
}

/**
 * Applies verdicts from rows currently in `from` (`batched` or `submitted`; `queued` for rows a re-broadcast
 * gap transaction settled, see NonceGapHealer): fail, re-queue (batch detached, attempts counted), or mark
 * included when our own earlier transaction settled it.
 * Runs in its own transaction, or in the caller's when `manager` is given (so the verdicts commit
 * together with whatever else the caller records).
 * @returns counts per action, for logs.
 */
export async function applyVerdicts(
  ctx: SettlementContext,
  verdicts: Map<string, RowVerdict>,
  from: Extract<PaymentStatus, 'queued' | 'batched' | 'submitted'>,
  manager?: EntityManager,
): Promise<Record<RowVerdict['action'], number>> {
  const counts = { 'landed-elsewhere-ours': 0, fail: 0, requeue: 0 };
  const inTransaction = (fn: (m: EntityManager) => Promise<void>) => (manager ? fn(manager) : ctx.dataSource.transaction(fn));
  await inTransaction(async (m) => {
    for (const [paymentId, v] of verdicts) {
      let moved: string[] = [];
      if (v.action === 'fail') {
        moved = await ctx.ledger.transition([paymentId], from, 'failed', {
          reason: v.reason,
          detail: { message: v.message, ...(v.detail ?? {}) },
          patch: { failure_reason: v.reason, failure_message: v.message },
        }, m);
      } else if (v.action === 'requeue') {
        moved = await ctx.ledger.transition([paymentId], from, 'queued', {
          reason: v.reason,
          detail: { message: v.message },
          patch: { batch_id: null, tx_hash: null, log_index: null, block_number: null, block_hash: null },
          incrementAttempts: true,
        }, m);
      } else {
        // Settled by an earlier transaction of ours — typically one dropped by a reorg, whose batch was
        // failed as `reorged`, then mined again. Only a batch in `included` is followed to confirmation
        // depth, so the payment is attached to the batch that sent that transaction, and that batch,
        // if it had been given up, is followed again on the transaction's block. Left in the current
        // batch, the payment stayed `included` for ever once that batch failed (e.g. no_viable_rows).
        // A batch still `submitted` is left alone: its own tracker will find the receipt. The sweeper
        // picks the revived batch up (STALE_BATCH_MS), after this transaction commits.
        const txHash = v.txHash.toLowerCase();
        const ownerBatch = await ctx.repos.relayerTxs.batchOf(m, txHash);
        const block = { block_number: v.blockNumber.toString(), block_hash: v.blockHash.toLowerCase() };
        moved = await ctx.ledger.transition([paymentId], from, 'included', {
          reason: 'settled_by_earlier_transaction',
          detail: { txHash: v.txHash, ...(ownerBatch ? { batchId: ownerBatch } : {}) },
          patch: { ...(ownerBatch ? { batch_id: ownerBatch } : {}), tx_hash: txHash, log_index: v.logIndex, ...block, included_at: new Date() },
          // Its batch's `settlement.included` went out without it: a late one lists it alone.
          ...(ownerBatch ? { settlementBatch: ownerBatch } : {}),
        }, m);
        if (moved.length && ownerBatch) {
          await batchStatus.transition(m, ownerBatch, FINAL_BATCH_STATUSES, 'included', { tx_hash: txHash, ...block, failure_reason: null });
          await relayerTxStatus.transition(m, { txHash }, relayerTxSourcesOf('included'), 'included');
        }
      }
      if (moved.length) counts[v.action]++;
    }
  });
  return counts;
}

/** Loads the rows of a batch that are in `status`, as settlement rows. */
export async function loadBatchRows(ctx: SettlementContext, batchId: string, status: PaymentStatus): Promise<StoredRow[]> {
  const rows = await ctx.repos.batchPayments.rowsOf(batchId, status);
  return rows.map((r) => ({
    paymentId: r.id,
    from: r.payer as Address,
    to: r.pay_to as Address,
    value: BigInt(r.amount),
    validAfter: BigInt(r.valid_after),
    validBefore: BigInt(r.valid_before),
    nonce: r.nonce as Hex,
    signature: r.signature as Hex,
    attempts: r.attempts,
  }));
}
