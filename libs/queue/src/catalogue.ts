import { JobsOptions } from 'bullmq';

/**
 * The one catalogue of queues and jobs. Payloads carry ids only — never signatures or keys — because
 * Postgres is the source of truth and a job is only a nudge to act on a persisted state.
 */
export enum QueueName {
  /** Lanes, batches, submission and confirmation tracking. */
  Settlement = 'settlement',
}

export enum JobName {
  /** A payment entered `queued`: consider flushing its lane. */
  PaymentQueued = 'payment-queued',
  /** Flush (claim and batch) the queued payments of one lane. */
  LaneFlush = 'lane-flush',
  /** Build, sign, store and broadcast a batch transaction. */
  BatchSubmit = 'batch-submit',
  /** Follow a submitted batch: receipts, replacements, outcomes, confirmations. */
  BatchTrack = 'batch-track',
  /** Re-derive pending work from Postgres (after a crash or lost Redis keys). */
  Sweep = 'sweep',
}

/** Payload type of every job, keyed by job name. */
export interface JobPayloads {
  [JobName.PaymentQueued]: { paymentId: string; network: string; asset: string };
  [JobName.LaneFlush]: { network: string; asset: string };
  [JobName.BatchSubmit]: { batchId: string };
  [JobName.BatchTrack]: { batchId: string };
  [JobName.Sweep]: Record<string, never>;
}

/** Which queue each job lives on. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.PaymentQueued]: QueueName.Settlement,
  [JobName.LaneFlush]: QueueName.Settlement,
  [JobName.BatchSubmit]: QueueName.Settlement,
  [JobName.BatchTrack]: QueueName.Settlement,
  [JobName.Sweep]: QueueName.Settlement,
};

/** Default options per job. Retries are for transient faults; permanent ones throw UnrecoverableError. */
export const JOB_DEFAULTS: Record<JobName, JobsOptions> = {
  [JobName.PaymentQueued]: { attempts: 3, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.LaneFlush]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchSubmit]: { attempts: 8, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchTrack]: { attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.Sweep]: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 },
};

/** Jobs that exist at most once at a time (BullMQ deduplicates by job id). */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayloads[N]): string | undefined {
  switch (name) {
    case JobName.BatchSubmit:
      return `submit-${(payload as JobPayloads[JobName.BatchSubmit]).batchId}`;
    default:
      return undefined;
  }
}
