import { JobName } from '@tollgate/queue';
import { SettlementContext } from './settlement-context';

/** A batch not touched for this long has lost its job (crash, lost Redis keys) and is re-enqueued. */
export const STALE_BATCH_MS = 5_000;

/**
 * Re-derives pending work from Postgres, so that losing every Redis key or killing a worker at any
 * instant loses nothing: verified payments past `validBefore` lapse; batches whose job vanished get a
 * new submit or track job (both are idempotent, so a duplicate costs one extra pass, never a second
 * settlement); the exposure guard's partial rows are folded (payment-exposure.sql.ts). Queued payments
 * need nothing: the lane scheduler reads them from Postgres.
 */
export class Sweeper {
  constructor(private readonly ctx: SettlementContext) {}

  async sweep(): Promise<{ lapsed: number; resubmitted: number; retracked: number }> {
    const lapsing = await this.ctx.repos.sweeper.lapsingVerified();
    const lapsed = await this.ctx.ledger.transition(lapsing, 'verified', 'lapsed', {
      reason: 'tollgate_never_settled',
      patch: { failure_reason: 'tollgate_never_settled', failure_message: 'verified but never settled before validBefore' },
    });
    // After lapsing: a lapsed bucket has just reached zero and goes in the same pass.
    await this.ctx.repos.sweeper.compactExposure();
    const stale = await this.ctx.repos.sweeper.staleTrackedBatches(STALE_BATCH_MS);
    // Bucketed job ids: at most one sweeper-made job per batch per interval, even with several workers.
    const bucket = Math.floor(Date.now() / Math.max(this.ctx.config.settlement.sweepIntervalMs, STALE_BATCH_MS));
    let resubmitted = 0;
    let retracked = 0;
    for (const b of stale) {
      if (b.status === 'building') {
        await this.ctx.queues.add(JobName.BatchSubmit, { batchId: b.id }, { jobId: `submit-${b.id}-${bucket}` });
        resubmitted++;
      } else {
        await this.ctx.queues.add(JobName.BatchTrack, { batchId: b.id }, { jobId: `track-${b.id}-${bucket}` });
        retracked++;
      }
    }
    return { lapsed: lapsed.length, resubmitted, retracked };
  }
}
