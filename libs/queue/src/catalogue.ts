import { JobsOptions } from 'bullmq';

/**
 * The one catalogue of queues and jobs. Payloads carry ids only — never signatures or keys — because
 * Postgres is the source of truth and a job is only a nudge to act on a persisted state.
 */
export enum QueueName {
  /** Lanes, batches, submission and confirmation tracking. */
  Settlement = 'settlement',
  /** Merchant webhook deliveries (the outbox in `webhook_deliveries` is the truth; a job only nudges). */
  Webhooks = 'webhooks',
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

/**
 * Jobs of the webhooks queue. A separate enum rather than more members of {@link JobName} because the
 * settlement worker's start-up check demands a handler for every `JobName`; once that check is scoped to
 * its own queue ({@link jobsOn}), these can move into `JobName` as `JobName.WebhookDeliver`.
 */
export enum WebhookJobName {
  /** Make the next attempt of one webhook delivery (if it is due and nobody else holds it). */
  Deliver = 'webhook-deliver',
}

/** Every job name of the catalogue. */
export type AnyJobName = JobName | WebhookJobName;

/**
 * Optional on every payload: the id of the HTTP request (API log `req.id`, header `x-request-id`) that
 * caused the job, so one operator action or `/settle` call can be followed into the worker's logs.
 */
export interface Traced {
  requestId?: string;
}

/** Payload type of every job, keyed by job name. */
export interface JobPayloads {
  [JobName.PaymentQueued]: { paymentId: string; network: string; asset: string } & Traced;
  [JobName.LaneFlush]: { network: string; asset: string } & Traced;
  [JobName.BatchSubmit]: { batchId: string } & Traced;
  [JobName.BatchTrack]: { batchId: string } & Traced;
  [JobName.Sweep]: Record<string, never>;
}

/** Payload types of the webhooks queue. */
export interface WebhookJobPayloads {
  [WebhookJobName.Deliver]: { deliveryId: string };
}

/** Payload type of every job of the catalogue. */
export type AnyJobPayloads = JobPayloads & WebhookJobPayloads;

/** Which queue each job lives on. */
export const JOB_QUEUE: Record<AnyJobName, QueueName> = {
  [JobName.PaymentQueued]: QueueName.Settlement,
  [JobName.LaneFlush]: QueueName.Settlement,
  [JobName.BatchSubmit]: QueueName.Settlement,
  [JobName.BatchTrack]: QueueName.Settlement,
  [JobName.Sweep]: QueueName.Settlement,
  [WebhookJobName.Deliver]: QueueName.Webhooks,
};

/** The job names served by one queue (what its worker must have handlers for). */
export function jobsOn(queue: QueueName): AnyJobName[] {
  return (Object.keys(JOB_QUEUE) as AnyJobName[]).filter((n) => JOB_QUEUE[n] === queue);
}

/** Default options per job. Retries are for transient faults; permanent ones throw UnrecoverableError. */
export const JOB_DEFAULTS: Record<AnyJobName, JobsOptions> = {
  [JobName.PaymentQueued]: { attempts: 3, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.LaneFlush]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchSubmit]: { attempts: 8, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchTrack]: { attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.Sweep]: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 },
  // BullMQ retries only cover infrastructure faults (database unreachable). The HTTP retry schedule is
  // ours: each failed attempt is recorded and the next one is a new job delayed by the configured step.
  [WebhookJobName.Deliver]: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
};

/** Jobs that exist at most once at a time (BullMQ deduplicates by job id). */
export function jobIdFor<N extends AnyJobName>(name: N, payload: AnyJobPayloads[N]): string | undefined {
  switch (name) {
    case JobName.BatchSubmit:
      return `submit-${(payload as JobPayloads[JobName.BatchSubmit]).batchId}`;
    default:
      return undefined;
  }
}
