import { DataSource } from 'typeorm';
import { JobQueues, JobName } from '@tollgate/queue';
import { WebhookRelayRepository } from '@tollgate/persistence';

/** BullMQ job id of attempt `attempt + 1` of a delivery: a second enqueue of the same attempt is a no-op. */
export function deliveryJobId(deliveryId: string, attemptsMade: number): string {
  return `wh-${deliveryId}-${attemptsMade}`;
}

/**
 * Makes delivery jobs for outbox rows. Called after the transaction that wrote the rows has committed; a
 * row whose job could not be made keeps `job_enqueued_at` null and the relay in the webhook worker makes
 * it on its next pass.
 */
export class WebhookDispatcher {
  private readonly relay: WebhookRelayRepository;

  constructor(
    dataSource: DataSource,
    private readonly queues: JobQueues,
  ) {
    this.relay = new WebhookRelayRepository(dataSource);
  }

  /**
   * Claims `ids` that no job was made for yet and enqueues one job each, delayed until they are due.
   * @returns how many jobs were enqueued. Never throws for Redis faults (the relay retries).
   */
  async dispatchNew(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.relay.claimNew(ids);
    return this.enqueue(rows.map((r) => ({ id: r.id, delayMs: Number(r.delay_ms), jobId: deliveryJobId(r.id, r.attempt_count) })), true);
  }

  /**
   * Enqueues jobs; with `releaseOnFailure` the rows whose job could not be made go back to the relay.
   * @returns how many jobs were enqueued.
   */
  async enqueue(jobs: Array<{ id: string; delayMs: number; jobId?: string }>, releaseOnFailure: boolean): Promise<number> {
    const failed: string[] = [];
    await Promise.all(
      jobs.map((j) =>
        this.queues.add(JobName.WebhookDeliver, { deliveryId: j.id }, { delay: j.delayMs, ...(j.jobId ? { jobId: j.jobId } : {}) }).catch(() => {
          failed.push(j.id);
        }),
      ),
    );
    if (failed.length && releaseOnFailure) await this.relay.release(failed).catch(() => undefined);
    return jobs.length - failed.length;
  }
}
