import { Address, BlockNotFoundError, Hex, TransactionNotFoundError, TransactionReceipt, TransactionReceiptNotFoundError } from 'viem';
import { authorizationsUsed, authorizationKey } from '@tollgate/evm';
import { BatchTxRow, NOW, relayerTxSourcesOf, TrackedBatchRow } from '@tollgate/persistence';
import { JobName } from '@tollgate/queue';
import { applyVerdicts, loadBatchRows, RowClassifier, RowVerdict } from './row-outcomes';
import { SettlementContext } from './settlement-context';
import { batchStatus, relayerTxStatus } from './status-stores';
import { broadcast, bumpedFees, currentFees, feeCapWei, Fees, signTx, storeTx } from './transactions';

/**
 * Follows a submitted batch to a final state, one idempotent pass per job:
 * - `submitted`: looks for a receipt of every hash ever broadcast for the batch (replacements
 *   included); replaces a transaction not included after TX_REPLACE_AFTER_MS with the same nonce and
 *   fees bumped 20 % (never above TX_MAX_FEE_GWEI: at the cap it waits); after TX_MAX_REPLACEMENTS
 *   cancels with a zero-value self-transfer; re-broadcasts a transaction the node forgot. A transaction
 *   behind a lower nonce that is not mined yet is never replaced (see NonceGapHealer).
 * - on inclusion: `AuthorizationUsed` logs say which rows landed (→ `included` with hash and log
 *   index); the others are classified and re-queued or failed.
 * - `included`: at the network's confirmation depth, re-checks that the block is still canonical
 *   (→ `confirmed`); a block that vanished sends the rows back to the queue (`reorged`).
 */
export class BatchTracker {
  private readonly classifier: RowClassifier;
  /** Transactions already reported as held at the fee cap (one warning each, not one per poll). */
  private readonly atCap = new Set<string>();

  constructor(private readonly ctx: SettlementContext) {
    this.classifier = new RowClassifier(ctx);
  }

  /** @returns true when the batch reached a final state (no further tracking needed). */
  async track(batchId: string): Promise<boolean> {
    const done = await this.ctx.exclusively(`batch:${batchId}`, async () => {
      const batch = await this.ctx.repos.batches.forTracking(batchId);
      if (!batch) return true;
      await this.ctx.repos.batches.touch(batchId);
      if (batch.status === 'submitted') return this.followSubmitted(batch);
      if (batch.status === 'included') return this.followIncluded(batch);
      return batch.status !== 'building';
    });
    // Another process holds the batch: it will keep tracking.
    if (done === undefined) return false;
    if (!done) {
      await this.ctx.queues
        .add(JobName.BatchTrack, { batchId }, { delay: this.ctx.config.settlement.txPollMs })
        .catch((e: Error) => this.ctx.logger.warn(`re-enqueue track ${batchId} failed, sweeper will retry: ${e.message}`));
    }
    return done;
  }

  private async followSubmitted(batch: TrackedBatchRow): Promise<boolean> {
    const client = this.ctx.chains.get(batch.network);
    const txs = await this.txsOf(batch.id);
    for (const tx of [...txs].reverse()) {
      const receipt = await notFoundAsNull(client.getTransactionReceipt({ hash: tx.tx_hash }));
      if (receipt) {
        if (await this.onInclusion(batch, tx, receipt)) return true;
        return this.followIncluded({ ...batch, status: 'included', tx_hash: receipt.transactionHash, block_number: receipt.blockNumber.toString(), block_hash: receipt.blockHash });
      }
    }
    const latest = txs[txs.length - 1];
    if (!latest) return false;
    const relayer = this.ctx.relayer(batch.network, batch.relayer);
    const mined = await client.getTransactionCount({ address: relayer.address, blockTag: 'latest' });
    if (mined > Number(batch.nonce)) {
      // The nonce is used but none of our hashes has a receipt: another transaction took the nonce.
      await this.onNonceLost(batch);
      return true;
    }
    if (mined < Number(batch.nonce)) {
      // A lower nonce of this relayer is not mined yet (an earlier batch still pending, or a gap a reorg
      // left, which the NonceGapHealer fills): no fee makes this transaction executable before that one,
      // so bidding on it would only burn the replacement budget and end in a cancel that cannot mine.
      const known = await notFoundAsNull(client.getTransaction({ hash: latest.tx_hash }));
      if (!known) await broadcast(this.ctx, batch.network, latest.raw_tx, latest.tx_hash);
      return false;
    }
    const age = Date.now() - new Date(latest.created_at).getTime();
    // An operator's "replace now" (replace_requested_at) counts as an expired TX_REPLACE_AFTER_MS; it is
    // cleared only after the replacement was stored, so a crash in between replaces on the next pass.
    if (age >= this.ctx.config.settlement.replaceAfterMs || batch.replace_requested_at) {
      await this.replace(batch, latest);
      if (batch.replace_requested_at) await this.ctx.repos.batches.clearReplaceRequest(batch.id);
      return false;
    }
    const known = await notFoundAsNull(client.getTransaction({ hash: latest.tx_hash }));
    if (!known) await broadcast(this.ctx, batch.network, latest.raw_tx, latest.tx_hash);
    return false;
  }

  /** Same nonce, fees bumped; after the replacement budget, a zero-value self-transfer (cancel). */
  private async replace(batch: TrackedBatchRow, latest: BatchTxRow): Promise<void> {
    const relayer = this.ctx.relayer(batch.network, batch.relayer);
    const cancel = batch.replacements >= this.ctx.config.settlement.maxReplacements || latest.purpose === 'cancel';
    const previous: Fees = { maxFeePerGas: BigInt(latest.max_fee_per_gas), maxPriorityFeePerGas: BigInt(latest.max_priority_fee_per_gas) };
    const fees = bumpedFees(previous, await currentFees(this.ctx, batch.network), feeCapWei(this.ctx));
    const nonce = Number(batch.nonce);
    if (!fees) {
      // At TX_MAX_FEE_GWEI: keep the transaction we have (the node is reminded of it) and let the base fee
      // come down; the replacement budget is not spent, so no cancel is signed at a price we refuse to pay.
      if (!this.atCap.has(latest.tx_hash)) {
        this.atCap.add(latest.tx_hash);
        if (this.atCap.size > 10_000) this.atCap.clear();
        this.ctx.logger.warn(`batch ${batch.id}: nonce ${nonce} not included and its fees are at TX_MAX_FEE_GWEI (${this.ctx.config.settlement.maxFeeGwei}); waiting for the base fee to fall`);
      }
      const known = await notFoundAsNull(this.ctx.chains.get(batch.network).getTransaction({ hash: latest.tx_hash }));
      if (!known) await broadcast(this.ctx, batch.network, latest.raw_tx, latest.tx_hash);
      return;
    }
    let to: Address;
    let data: Hex;
    let gas: bigint;
    if (cancel) {
      to = relayer.address;
      data = '0x';
      gas = 21_000n;
    } else {
      const tx = await notFoundAsNull(this.ctx.chains.get(batch.network).getTransaction({ hash: latest.tx_hash }));
      const original = tx ? undefined : await this.ctx.repos.relayerTxs.firstSettleRaw(batch.id);
      const parsed = tx ?? (await import('viem')).parseTransaction(original!);
      to = parsed.to as Address;
      data = (('input' in parsed ? parsed.input : (parsed as { data?: Hex }).data) ?? '0x') as Hex;
      gas = BigInt(latest.gas_limit);
    }
    const signed = await signTx(this.ctx, relayer, { to, data, gas, nonce, fees });
    await this.ctx.dataSource.transaction(async (m) => {
      await storeTx(this.ctx, m, { batchId: batch.id, network: batch.network, relayer: relayer.id, nonce, purpose: cancel ? 'cancel' : 'settle', signed, gas, fees });
      await relayerTxStatus.transition(m, { batchId: batch.id, exceptTxHash: signed.hash.toLowerCase() }, 'pending', 'replaced');
      await this.ctx.repos.batches.recordReplacement(m, batch.id, signed.hash.toLowerCase());
    });
    this.ctx.logger.warn(`batch ${batch.id}: nonce ${nonce} not included in time; ${cancel ? 'cancelling' : 'replacing'} with maxFee ${fees.maxFeePerGas} wei`);
    const outcome = await broadcast(this.ctx, batch.network, signed.raw, signed.hash);
    if (outcome === 'underpriced') this.ctx.logger.warn(`batch ${batch.id}: replacement refused as underpriced; will bump again`);
  }

  /**
   * Records the batch's inclusion: landed rows `included`, the others classified. When the block is already
   * at the network's confirmation depth (always at depth 1; otherwise when the receipt is first seen late),
   * the landed rows and the batch go on to `confirmed` in the same transaction, each payment row written once
   * for both steps (both events and their webhooks still recorded, see TransitionOptions.then).
   * @returns true when the batch was confirmed too.
   */
  private async onInclusion(batch: TrackedBatchRow, tx: BatchTxRow, receipt: TransactionReceipt): Promise<boolean> {
    const token = batch.asset as Address;
    const rows = await loadBatchRows(this.ctx, batch.id, 'submitted');
    const used = tx.purpose === 'settle' && receipt.status === 'success' ? authorizationsUsed(token, receipt.logs) : new Map<string, number>();
    const landed = rows.filter((r) => used.has(authorizationKey(r.from, r.nonce)));
    const missed = rows.filter((r) => !used.has(authorizationKey(r.from, r.nonce)));
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    // The rows that did not land are classified first (chain reads) and their verdicts commit in the
    // same transaction as the inclusion. Applied afterwards, a crash in between left them `submitted`
    // under a batch that is no longer `submitted`: no tracker or sweep ever looked at them again.
    const verdicts = missed.length ? await this.classifier.classify(batch.network, token, missed) : new Map<string, RowVerdict>();
    // The same test followIncluded makes: the block is canonical and deep enough. A failed read only means
    // the confirmation is recorded on a later pass (followIncluded), as before; the inclusion is not held up.
    const confirmations = landed.length ? await this.depthReached(batch.network, receipt.blockNumber, receipt.blockHash).catch(() => null) : null;
    let counts: Record<RowVerdict['action'], number> | undefined;
    await this.ctx.dataSource.transaction(async (m) => {
      if (landed.length) {
        await this.ctx.ledger.transition(landed.map((r) => r.paymentId), 'submitted', 'included', {
          detail: { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString() },
          patch: {
            tx_hash: receipt.transactionHash.toLowerCase(),
            block_number: receipt.blockNumber.toString(),
            block_hash: receipt.blockHash.toLowerCase(),
            included_at: new Date(),
          },
          logIndexes: new Map(landed.map((r) => [r.paymentId, used.get(authorizationKey(r.from, r.nonce))!])),
          settlementBatch: batch.id,
          batchStep: batch.id,
          then: confirmations ? { to: 'confirmed', detail: { confirmations }, patch: { confirmed_at: new Date() } } : undefined,
        }, m);
      }
      // The mined version is included, every other version of the batch replaced, whatever they were.
      const minedHash = receipt.transactionHash.toLowerCase();
      await relayerTxStatus.transition(m, { batchId: batch.id, txHash: minedHash }, relayerTxSourcesOf('included'), 'included');
      await relayerTxStatus.transition(m, { batchId: batch.id, exceptTxHash: minedHash }, relayerTxSourcesOf('replaced'), 'replaced');
      const settled = landed.length > 0;
      // Read as `submitted` under the batch's advisory lock (followSubmitted / onNonceLost).
      await batchStatus.transition(m, batch.id, 'submitted', settled ? 'included' : tx.purpose === 'cancel' ? 'cancelled' : 'failed', {
        tx_hash: minedHash,
        block_number: receipt.blockNumber.toString(),
        block_hash: receipt.blockHash.toLowerCase(),
        gas_used: receipt.gasUsed.toString(),
        effective_gas_price: receipt.effectiveGasPrice.toString(),
        fee_paid: fee.toString(),
        included_at: NOW,
        failure_reason: settled ? null : tx.purpose === 'cancel' ? 'cancelled' : 'reverted',
      });
      if (verdicts.size) counts = await applyVerdicts(this.ctx, verdicts, 'submitted', m);
      if (confirmations) {
        // As followIncluded would: any other row still `included` under this batch (a verdict that found no
        // owner batch for the transaction that settled it) is confirmed with it.
        const rest = await this.ctx.repos.batchPayments.includedIds(m, batch.id);
        if (rest.length) {
          await this.ctx.ledger.transition(rest, 'included', 'confirmed', { detail: { confirmations }, patch: { confirmed_at: new Date() }, settlementBatch: batch.id, batchStep: batch.id }, m);
        }
        await batchStatus.transition(m, batch.id, 'included', 'confirmed', { confirmed_at: NOW });
      }
    });
    if (counts) this.ctx.logger.log(`batch ${batch.id}: ${landed.length} landed, ${missed.length} did not ${JSON.stringify(counts)}`);
    return confirmations !== null;
  }

  /**
   * Confirmations of the block (decimal text) when it is still canonical and at the network's depth, else null.
   */
  private async depthReached(network: string, blockNumber: bigint, blockHash: string): Promise<string | null> {
    const client = this.ctx.chains.get(network);
    const [head, block] = await Promise.all([client.getBlockNumber({ cacheTime: 0 }), notFoundAsNull(client.getBlock({ blockNumber }))]);
    if (!block || block.hash.toLowerCase() !== blockHash.toLowerCase()) return null;
    const confirmations = head - blockNumber + 1n;
    return confirmations >= BigInt(this.ctx.network(network).confirmations) ? confirmations.toString() : null;
  }

  private async followIncluded(batch: TrackedBatchRow): Promise<boolean> {
    if (!batch.block_number || !batch.block_hash || !batch.tx_hash) return true;
    const client = this.ctx.chains.get(batch.network);
    const depth = this.ctx.network(batch.network).confirmations;
    const [head, block] = await Promise.all([
      client.getBlockNumber({ cacheTime: 0 }),
      notFoundAsNull(client.getBlock({ blockNumber: BigInt(batch.block_number) })),
    ]);
    if (!block || block.hash.toLowerCase() !== batch.block_hash.toLowerCase()) {
      const receipt = await notFoundAsNull(client.getTransactionReceipt({ hash: batch.tx_hash as Hex }));
      if (receipt && receipt.blockHash.toLowerCase() !== batch.block_hash.toLowerCase()) {
        // Re-included in another block: follow the new one.
        await this.ctx.repos.batches.moveInclusionBlock(batch.id, receipt.blockNumber.toString(), receipt.blockHash.toLowerCase());
        return false;
      }
      if (!receipt) {
        await this.onReorg(batch);
        return true;
      }
    }
    const confirmations = head - BigInt(batch.block_number) + 1n;
    if (confirmations < BigInt(depth)) return false;
    await this.ctx.dataSource.transaction(async (m) => {
      await this.ctx.ledger.transition(
        await this.ctx.repos.batchPayments.includedIds(m, batch.id),
        'included',
        'confirmed',
        { detail: { confirmations: confirmations.toString() }, patch: { confirmed_at: new Date() }, settlementBatch: batch.id, batchStep: batch.id },
        m,
      );
      await batchStatus.transition(m, batch.id, 'included', 'confirmed', { confirmed_at: NOW });
    });
    return true;
  }

  /** The inclusion block is gone and the transaction with it: the rows go back to the queue. */
  private async onReorg(batch: TrackedBatchRow): Promise<void> {
    this.ctx.logger.warn(`batch ${batch.id}: block ${batch.block_number} was reorganised away; re-queueing its payments`);
    await this.ctx.dataSource.transaction(async (m) => {
      const ids = await this.ctx.repos.batchPayments.includedIds(m, batch.id);
      await this.ctx.ledger.transition(ids, 'included', 'queued', {
        reason: 'reorged',
        detail: { txHash: batch.tx_hash, blockNumber: batch.block_number, blockHash: batch.block_hash },
        patch: { batch_id: null, tx_hash: null, log_index: null, block_number: null, block_hash: null, included_at: null },
        incrementAttempts: true,
      }, m);
      // Only the version that was mined in the vanished block: a version the nonce-gap healer has already made
      // live again (re-broadcast, `pending`) stays live, and the healer follows it to its receipt. Dropping it
      // too left the node holding a transaction nothing followed, and its payments queued behind a paused lane.
      await relayerTxStatus.transition(m, { batchId: batch.id }, ['included', 'replaced'], 'dropped');
      // Read as `included` under the batch's advisory lock (followIncluded).
      await batchStatus.transition(m, batch.id, 'included', 'failed', { failure_reason: 'reorged' });
    });
  }

  /** Our nonce was consumed by a transaction we did not send for this batch. */
  private async onNonceLost(batch: TrackedBatchRow): Promise<void> {
    const rows = await loadBatchRows(this.ctx, batch.id, 'submitted');
    const verdicts = await this.classifier.classify(batch.network, batch.asset as Address, rows);
    // "Consumed by another transaction" may in fact be one of ours whose receipt the node had not served
    // yet: then this is an inclusion, and failing the batch would strand its rows in `included`.
    const ours = new Set((await this.txsOf(batch.id)).map((t) => t.tx_hash.toLowerCase()));
    for (const v of verdicts.values()) {
      if (v.action === 'landed-elsewhere-ours' && ours.has(v.txHash.toLowerCase())) {
        const receipt = await this.ctx.chains.get(batch.network).getTransactionReceipt({ hash: v.txHash });
        const tx = (await this.txsOf(batch.id)).find((t) => t.tx_hash.toLowerCase() === v.txHash.toLowerCase())!;
        await this.onInclusion(batch, tx, receipt);
        return;
      }
    }
    await this.ctx.dataSource.transaction(async (m) => {
      await applyVerdicts(this.ctx, verdicts, 'submitted', m);
      await batchStatus.transition(m, batch.id, 'submitted', 'failed', { failure_reason: 'nonce_consumed' });
      await relayerTxStatus.transition(m, { batchId: batch.id }, 'pending', 'dropped');
    });
  }

  private txsOf(batchId: string): Promise<BatchTxRow[]> {
    return this.ctx.repos.relayerTxs.versionsOfBatch(batchId);
  }
}

/**
 * Resolves to null only when the node says the thing does not exist; any other RPC failure propagates,
 * so a flaky provider never reads as "no receipt" (a dropped transaction) or "no block" (a reorg).
 */
async function notFoundAsNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof TransactionReceiptNotFoundError || e instanceof TransactionNotFoundError || e instanceof BlockNotFoundError) return null;
    throw e;
  }
}
