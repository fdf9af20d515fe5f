import { EntityManager } from 'typeorm';
import { Address, Hex, PublicClient } from 'viem';
import { batchCall, decodeAggregate3Result, decodedRevertReason, encodeAggregate3, transferCalldata } from '@tollgate/evm';
import { NOW, SubmitBatchRow } from '@tollgate/persistence';
import { JobName } from '@tollgate/queue';
import { sizeUnderGasCap } from './batch-sizing';
import { applyVerdicts, loadBatchRows, RowClassifier, StoredRow } from './row-outcomes';
import { SettlementContext } from './settlement-context';
import { PermanentSettlementCode, PermanentSettlementError } from './settlement-errors';
import { batchStatus, relayerTxStatus } from './status-stores';
import { broadcast, classifyRpcError, currentFees, RpcError, signTx, storeTx } from './transactions';

/**
 * Turns a claimed batch into a broadcast transaction, resumable at every step:
 * 1. one simulation of the whole batch (eth_call of aggregate3, state shared like the real thing) finds
 *    rows that can no longer succeed; they are classified and dropped before they cost gas;
 * 2. the rest become one transaction — a direct `transferWithAuthorization` for a lone row, else
 *    `Multicall3.aggregate3(allowFailure: true)` — with a padded gas limit and EIP-1559 fees; rows whose
 *    padded gas would take the transaction over the network's gas cap go back to the queue;
 * 3. nonce allocation, signing, storing the raw transaction and moving the rows to `submitted` happen in
 *    one Postgres transaction, before the broadcast.
 * Replaying the job after any crash re-broadcasts the stored transaction; nothing is signed twice.
 */
export class BatchSubmitter {
  private readonly classifier: RowClassifier;

  constructor(private readonly ctx: SettlementContext) {
    this.classifier = new RowClassifier(ctx);
  }

  async submit(batchId: string): Promise<void> {
    await this.ctx.exclusively(`batch:${batchId}`, async () => {
      const batch = await this.ctx.repos.batches.forSubmit(batchId);
      if (!batch) throw new PermanentSettlementError(PermanentSettlementCode.BatchNotFound, `batch ${batchId} does not exist`);
      if (batch.status === 'submitted') return this.rebroadcast(batch);
      if (batch.status !== 'building') return;
      try {
        await this.build(batch);
      } catch (e) {
        const rpc = e instanceof RpcError ? e : classifyRpcError(e);
        // Transient and rate-limited faults are retried by the queue (the latter with the lane backed
        // off); a permanent one would fail the same way forever, so the batch gives its rows back.
        if (rpc.kind !== 'permanent') throw rpc;
        await this.abandon(batch, rpc.message);
        throw new PermanentSettlementError(PermanentSettlementCode.BatchAbandoned, `batch ${batch.id} abandoned: ${rpc.message}`);
      }
    });
  }

  /**
   * Fails a batch that cannot be sent (permanent RPC error, e.g. the relayer cannot pay for gas) and
   * returns its still-valid rows to the queue. A stored but never-broadcast transaction is dropped; its
   * nonce is reused by the next submission (see syncNonce).
   */
  private async abandon(batch: SubmitBatchRow, why: string): Promise<void> {
    this.ctx.logger.error(`batch ${batch.id}: permanent RPC error, re-queueing its payments: ${why}`);
    await this.ctx.dataSource.transaction(async (m) => {
      const rows = await this.ctx.repos.batchPayments.unsent(m, batch.id);
      for (const from of ['batched', 'submitted'] as const) {
        await this.ctx.ledger.transition(rows.filter((r) => r.status === from).map((r) => r.id), from, 'queued', {
          reason: 'tollgate_rpc_error',
          detail: { message: why.slice(0, 500) },
          // Not counted as a settlement attempt: the payment did nothing wrong; it waits for the relayer
          // (or expires at its own deadline, which the lane scheduler enforces).
          patch: { batch_id: null, tx_hash: null },
        }, m);
      }
      await relayerTxStatus.transition(m, { batchId: batch.id, neverBroadcast: true }, 'pending', 'dropped');
      // `submitted` too: build() commits the batch as submitted before the broadcast that may fail for good.
      await batchStatus.transition(m, batch.id, ['building', 'submitted'], 'failed', { failure_reason: `rpc_error: ${why.slice(0, 200)}` });
    });
  }

  private async build(batch: SubmitBatchRow): Promise<void> {
    const net = this.ctx.network(batch.network);
    const token = batch.asset as Address;
    const relayer = this.ctx.relayer(batch.network, batch.relayer);
    const client = this.ctx.chains.get(batch.network);

    let rows = await loadBatchRows(this.ctx, batch.id, 'batched');
    const failing = await this.simulate(batch.network, token, net.multicall3, relayer.address, rows);
    if (failing.size) {
      const verdicts = await this.classifier.classify(batch.network, token, rows.filter((r) => failing.has(r.paymentId)), failing);
      const counts = await applyVerdicts(this.ctx, verdicts, 'batched');
      this.ctx.logger.log(`batch ${batch.id}: dropped ${failing.size} row(s) before submission ${JSON.stringify(counts)}`);
      rows = rows.filter((r) => !failing.has(r.paymentId));
    }
    if (rows.length === 0) {
      await batchStatus.transition(this.ctx.dataSource, batch.id, 'building', 'failed', { failure_reason: 'no_viable_rows', payment_count: 0 });
      return;
    }

    // Padding covers the 63/64 rule (a CALL keeps 1/64 back, which would starve the last rows of an
    // allowFailure batch sent with exactly the gas it used) and state moving before inclusion. The padded
    // limit must stay within the network's transaction gas cap: rows beyond what fits (the latest
    // deadlines: rows are in deadline order) go back to the queue, and each split shrinks the batch.
    const padding = this.ctx.config.settlement.gasPaddingPercent;
    const deferred: StoredRow[] = [];
    let call = batchCall(token, net.multicall3, rows);
    let gas: bigint;
    for (;;) {
      const used = await gasUsedBy(client, relayer.address, call.to, call.data);
      this.ctx.gasEstimates.record(batch.network, batch.asset, rows.length, used, padding);
      const size = sizeUnderGasCap(rows.length, used, padding, net.txGasCap);
      if (size.kind === 'fits') {
        gas = size.gasLimit;
        break;
      }
      deferred.unshift(...rows.slice(size.keep));
      rows = rows.slice(0, size.keep);
      call = batchCall(token, net.multicall3, rows);
    }
    if (deferred.length) await this.deferOverCap(batch, deferred, rows.length, net.txGasCap);
    const fees = await currentFees(this.ctx, batch.network);

    const signed = await this.ctx.dataSource.transaction(async (m) => {
      const stored = await this.ctx.repos.relayers.lockNextNonce(m, batch.network, relayer.id);
      const nonce = await this.syncNonce(batch.network, relayer.address, relayer.id, stored, m);
      let tx = await signTx(this.ctx, relayer, { to: call.to, data: call.data, gas, nonce, fees });
      // After a reorg drops our transaction, its rows come back here and syncNonce hands out the same
      // nonce again; with the chain state (hence gas estimate and fees) unchanged, signing is
      // deterministic and yields the very transaction already stored for the reorganised batch, whose
      // hash is unique in relayer_transactions — the insert would fail on every retry and the batch
      // would stay `building` for ever. One more unit of gas makes it a new transaction (same effect).
      while (await this.ctx.repos.relayerTxs.exists(tx.hash.toLowerCase(), m)) {
        gas += 1n;
        tx = await signTx(this.ctx, relayer, { to: call.to, data: call.data, gas, nonce, fees });
      }
      await storeTx(this.ctx, m, { batchId: batch.id, network: batch.network, relayer: relayer.id, nonce, purpose: 'settle', signed: tx, gas, fees });
      await this.ctx.repos.relayers.setNextNonce(m, batch.network, relayer.id, nonce + 1);
      // The batch was read as `building` under its advisory lock (submit), so nothing else moved it.
      await batchStatus.transition(m, batch.id, 'building', 'submitted', {
        kind: call.kind,
        nonce,
        gas_limit: gas.toString(),
        payment_count: rows.length,
        tx_hash: tx.hash.toLowerCase(),
        submitted_at: NOW,
      });
      await this.ctx.ledger.transition(rows.map((r) => r.paymentId), 'batched', 'submitted', { detail: { txHash: tx.hash, nonce }, batchStep: batch.id }, m);
      return tx;
    });
    await broadcast(this.ctx, batch.network, signed.raw, signed.hash);
    await this.scheduleTracking(batch.id);
  }

  /**
   * Gives the rows that do not fit under the network's transaction gas cap back to the queue (not counted
   * as an attempt, `queued_at` kept so the lane is due at once) and asks for the lane to be flushed now, so
   * they go out in the next batch, earliest deadline first, instead of waiting for a scheduler pass.
   * Committed before the batch is signed: a crash after it replays with only the rows that fit.
   */
  private async deferOverCap(batch: SubmitBatchRow, rows: StoredRow[], kept: number, cap: number): Promise<void> {
    await this.ctx.dataSource.transaction(async (m) => {
      await this.ctx.ledger.transition(rows.map((r) => r.paymentId), 'batched', 'queued', {
        reason: 'batch_gas_cap',
        detail: { batchId: batch.id, txGasCap: cap },
        patch: { batch_id: null },
      }, m);
      await this.ctx.repos.batches.setBuildingPaymentCount(m, batch.id, kept);
    });
    this.ctx.logger.log(`batch ${batch.id}: ${rows.length} row(s) over the ${cap} gas cap of ${batch.network} went back to the queue; ${kept} kept`);
    await this.ctx.queues
      .add(JobName.LaneFlush, { network: batch.network, asset: batch.asset })
      .catch((e: Error) => this.ctx.logger.warn(`enqueue flush of ${batch.network}/${batch.asset} failed, the scheduler will flush it: ${e.message}`));
  }

  /**
   * Simulates the batch as it would run (one eth_call of aggregate3 from the relayer).
   * @returns payment id → revert reason for every row that would fail.
   */
  private async simulate(network: string, token: Address, multicall3: Address, relayer: Address, rows: StoredRow[]): Promise<Map<string, string>> {
    const failing = new Map<string, string>();
    const data = encodeAggregate3(rows.map((r) => ({ target: token, allowFailure: true, callData: transferCalldata(r) })));
    const res = await this.ctx.chains.get(network).call({ account: relayer, to: multicall3, data, batch: false });
    const results = decodeAggregate3Result(res.data ?? '0x');
    results.forEach((r, i) => {
      if (!r.success) failing.set(rows[i].paymentId, revertText(r.returnData));
    });
    return failing;
  }

  /**
   * Reconciles the stored next nonce with the chain: adopts a higher chain nonce (the key was used
   * elsewhere), and reuses nonces the chain never saw when no live transaction of ours holds them
   * (e.g. after a reorg dropped our transaction). When a later nonce is live, the hole is the
   * NonceGapHealer's to fill.
   */
  private async syncNonce(network: string, address: Address, relayerId: string, stored: number, m: EntityManager): Promise<number> {
    const pending = await this.ctx.chains.get(network).getTransactionCount({ address, blockTag: 'pending' });
    if (pending >= stored) return pending;
    // Any stored pending transaction counts — a batch's, or a filler / re-broadcast the NonceGapHealer put
    // in a gap: handing its nonce out again would only make two of our transactions race for it.
    const live = await this.ctx.repos.relayerTxs.countPendingFrom(m, network, relayerId, pending);
    if (live === 0) {
      this.ctx.logger.warn(`relayer ${address} on ${network}: nonces ${pending}..${stored - 1} never reached the chain; reusing them`);
      return pending;
    }
    return stored;
  }

  private async rebroadcast(batch: SubmitBatchRow): Promise<void> {
    const tx = await this.ctx.repos.relayerTxs.latestPendingOfBatch(batch.id);
    if (tx) await broadcast(this.ctx, batch.network, tx.raw_tx, tx.tx_hash);
    await this.scheduleTracking(batch.id);
  }

  private async scheduleTracking(batchId: string): Promise<void> {
    await this.ctx.queues
      .add(JobName.BatchTrack, { batchId }, { delay: this.ctx.config.settlement.txPollMs })
      .catch((e: Error) => this.ctx.logger.warn(`enqueue track ${batchId} failed, sweeper will retry: ${e.message}`));
  }
}

/** Revert reason of an aggregate3 row (`Error(string)`), or '' when it carries none (e.g. out of gas). */
export function revertText(data: Hex): string {
  if (!data || data === '0x') return '';
  return decodedRevertReason(data) ?? `revert data ${data.slice(0, 10)}`;
}

/**
 * Gas a settlement transaction uses when every row gets all it needs, from one execution:
 * `eth_createAccessList` runs the call at the block gas limit and reports `gasUsed`. `eth_estimateGas`
 * bisects instead — 15–20 executions of the whole batch (≈ 310 ms of node time for 200 rows on anvil
 * against ≈ 27 ms; BENCHMARKS.md) — and for an allowFailure batch the least gas at which the outer call
 * succeeds is not what the rows need. Nodes without `eth_createAccessList` (or any error from it) fall
 * back to `eth_estimateGas`, whose error then is the one reported.
 * @returns gas units (not padded).
 */
export async function gasUsedBy(client: PublicClient, from: Address, to: Address, data: Hex): Promise<bigint> {
  try {
    const { gasUsed } = await client.createAccessList({ account: from, to, data });
    if (gasUsed > 0n) return gasUsed;
  } catch {
    // Unsupported method or a reverting call: eth_estimateGas decides and reports.
  }
  return client.estimateGas({ account: from, to, data });
}
