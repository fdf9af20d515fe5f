import { JobName } from '@tollgate/queue';
import { SettlementContext } from './settlement-context';

/** What a lane (network, asset) holds right now, derived from Postgres alone. */
export interface LaneState {
  network: string;
  asset: string;
  queued: number;
  oldestQueuedAt: Date;
  earliestExpiry: Date;
  paused: boolean;
  flushRequested: boolean;
  /** When a batch of this lane was last abandoned on a permanent RPC error (e.g. relayer out of gas). */
  lastRpcFailureAt: Date | null;
}

/** After a batch is abandoned on a permanent RPC error, the lane waits this long before trying again. */
export const RPC_FAILURE_BACKOFF_MS = 5_000;

export type FlushReason = 'size' | 'age' | 'deadline' | 'requested';

/** Rows closer than this to validBefore are not worth sending: they would land expired. */
export const EXPIRY_GUARD_SECONDS = 3;

/**
 * Decides when lanes flush and claims batches. A lane flushes when it holds a full batch (`maxBatchSize`
 * payments, or as many as fit under the network's transaction gas cap),
 * when its oldest queued payment has waited `maxWaitMs`, when its earliest `validBefore` comes within
 * `deadlineMarginSeconds`, or when an operator asked. Claims use `FOR UPDATE SKIP LOCKED`, so several
 * worker processes never build overlapping batches. Postgres is the only input for what to settle (the
 * in-process gas-per-row estimate only bounds how many rows one claim takes): losing Redis loses nothing here.
 */
export class LaneScheduler {
  constructor(private readonly ctx: SettlementContext) {}

  async lanes(): Promise<LaneState[]> {
    const rows = await this.ctx.repos.lanes.states();
    return rows.map((r) => ({
      network: r.network,
      asset: r.asset,
      queued: r.queued,
      oldestQueuedAt: r.oldest,
      earliestExpiry: r.earliest,
      paused: r.paused ?? false,
      flushRequested: r.flush_requested_at !== null,
      lastRpcFailureAt: r.last_rpc_failure,
    }));
  }

  /** Why `lane` should flush at `now` (ms), or null. */
  dueReason(lane: LaneState, now: number): FlushReason | null {
    const s = this.ctx.config.settlement;
    if (lane.paused) return null;
    // A relayer that cannot pay for gas (or a provider refusing us) fails every batch the same way: back off.
    if (lane.lastRpcFailureAt && now - lane.lastRpcFailureAt.getTime() < RPC_FAILURE_BACKOFF_MS) return null;
    if (lane.flushRequested) return 'requested';
    if (lane.queued >= this.ctx.batchRowLimit(lane.network, lane.asset)) return 'size';
    if (lane.earliestExpiry.getTime() - now <= s.deadlineMarginSeconds * 1000) return 'deadline';
    if (now - lane.oldestQueuedAt.getTime() >= s.maxWaitMs) return 'age';
    return null;
  }

  /** One scheduling pass: flushes every due lane (repeatedly while full batches remain). */
  async tick(now = Date.now()): Promise<string[]> {
    const batches: string[] = [];
    for (const lane of await this.lanes()) {
      const reason = this.dueReason(lane, now);
      if (!reason || !this.ctx.chains.has(lane.network)) continue;
      for (let i = 0; i < 20; i++) {
        const batchId = await this.flush(lane.network, lane.asset);
        if (!batchId) break;
        batches.push(batchId);
        if (reason !== 'size') break;
        const n = await this.ctx.repos.lanes.countQueued(lane);
        if (n < this.ctx.batchRowLimit(lane.network, lane.asset)) break;
      }
    }
    return batches;
  }

  /**
   * Claims up to `maxBatchSize` queued payments of a lane (fewer when the lane's measured gas per row says
   * fewer fit under the network's transaction gas cap), earliest deadline first, into a new batch assigned
   * to the least busy relayer, and enqueues its submission.
   * @returns the batch id, or null when nothing was claimed or every relayer is at its in-flight cap.
   */
  async flush(network: string, asset: string): Promise<string | null> {
    const relayer = await this.pickRelayer(network);
    if (!relayer) return null;
    const max = this.ctx.batchRowLimit(network, asset);
    const lane = { network, asset };
    const lanes = this.ctx.repos.lanes;
    const batchId = await this.ctx.dataSource.transaction(async (m) => {
      const expired = await lanes.claimExpiring(m, lane, EXPIRY_GUARD_SECONDS);
      if (expired.length) {
        await this.ctx.ledger.transition(expired, 'queued', 'failed', {
          reason: 'invalid_exact_evm_payload_authorization_valid_before',
          patch: { failure_reason: 'invalid_exact_evm_payload_authorization_valid_before', failure_message: 'authorization expired while queued' },
        }, m);
      }
      const picked = await lanes.claimQueued(m, lane, EXPIRY_GUARD_SECONDS, max);
      await lanes.clearFlushRequest(m, lane);
      if (picked.length === 0) return null;
      const id = await this.ctx.repos.batches.create(m, lane, relayer, picked.length);
      await this.ctx.ledger.transition(picked, 'queued', 'batched', { patch: { batch_id: id }, batchStep: id }, m);
      return id;
    });
    if (batchId) {
      await this.ctx.queues
        .add(JobName.BatchSubmit, { batchId })
        .catch((e: Error) => this.ctx.logger.warn(`enqueue submit ${batchId} failed, sweeper will retry: ${e.message}`));
    }
    return batchId;
  }

  /** Least busy relayer of the network below the in-flight cap (lower-case address). */
  private async pickRelayer(network: string): Promise<string | null> {
    const configured = this.ctx.relayers(network).map((r) => r.id);
    if (configured.length === 0) return null;
    const load = await this.ctx.repos.batches.inFlightPerRelayer(network);
    const candidates = configured
      .map((id) => ({ id, n: load.get(id) ?? 0 }))
      .filter((c) => c.n < this.ctx.config.settlement.maxInFlightPerRelayer)
      .sort((a, b) => a.n - b.n);
    return candidates[0]?.id ?? null;
  }
}
