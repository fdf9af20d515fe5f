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
  /**
   * Operator actions the API records (`admin_actions`) and the worker carries out and audits: the ones that
   * touch the settlement pipeline, which only the worker (holder of the relayer keys) runs.
   */
  OperatorActions = 'operator-actions',
}

export enum JobName {
  /** Payments of one lane entered `queued` (one job per lane per burst, see the API's LaneNudger): consider flushing it. */
  PaymentQueued = 'payment-queued',
  /** Flush (claim and batch) the queued payments of one lane. */
  LaneFlush = 'lane-flush',
  /** Build, sign, store and broadcast a batch transaction. */
  BatchSubmit = 'batch-submit',
  /** Follow a submitted batch: receipts, replacements, outcomes, confirmations. */
  BatchTrack = 'batch-track',
  /** Re-derive pending work from Postgres (after a crash or lost Redis keys). */
  Sweep = 'sweep',
  /** Make the next attempt of one webhook delivery (if it is due and nobody else holds it). */
  WebhookDeliver = 'webhook-deliver',
  /** Operator retry of a failed payment (`failed → queued` when it can still succeed). */
  OperatorPaymentRetry = 'operator-payment-retry',
  /** Operator void of a payment not yet broadcast (under its batch's lock when batched). */
  OperatorPaymentVoid = 'operator-payment-void',
  /** Operator request to replace a submitted batch transaction now (same nonce, bumped fees). */
  OperatorBatchReplace = 'operator-batch-replace',
}

/**
 * Optional on every payload: the id of the HTTP request (API log `req.id`, header `x-request-id`) that
 * caused the job, so one operator action or `/settle` call can be followed into the worker's logs.
 */
export interface Traced {
  requestId?: string;
}

/** Payload type of every job, keyed by job name. */
export interface JobPayloads {
  // `references` (pay_…, same order as the ids) are for people reading the queue view; workers use the ids.
  [JobName.PaymentQueued]: { network: string; asset: string; paymentIds: string[]; references?: string[] } & Traced;
  [JobName.LaneFlush]: { network: string; asset: string } & Traced;
  [JobName.BatchSubmit]: { batchId: string } & Traced;
  [JobName.BatchTrack]: { batchId: string } & Traced;
  [JobName.Sweep]: Record<string, never>;
  [JobName.WebhookDeliver]: { deliveryId: string } & Traced;
  // The action row holds who asked, the target and the operator's note; the payload only names it.
  [JobName.OperatorPaymentRetry]: { actionId: string } & Traced;
  [JobName.OperatorPaymentVoid]: { actionId: string } & Traced;
  [JobName.OperatorBatchReplace]: { actionId: string } & Traced;
}

/** Which queue each job lives on, as a type (so each worker's handler map is checked at compile time). */
export interface JobQueueOf {
  [JobName.PaymentQueued]: QueueName.Settlement;
  [JobName.LaneFlush]: QueueName.Settlement;
  [JobName.BatchSubmit]: QueueName.Settlement;
  [JobName.BatchTrack]: QueueName.Settlement;
  [JobName.Sweep]: QueueName.Settlement;
  [JobName.WebhookDeliver]: QueueName.Webhooks;
  [JobName.OperatorPaymentRetry]: QueueName.OperatorActions;
  [JobName.OperatorPaymentVoid]: QueueName.OperatorActions;
  [JobName.OperatorBatchReplace]: QueueName.OperatorActions;
}

/** The job names of one queue. */
export type JobsOn<Q extends QueueName> = { [N in JobName]: JobQueueOf[N] extends Q ? N : never }[JobName];

/** Which queue each job lives on. */
export const JOB_QUEUE: { [N in JobName]: JobQueueOf[N] } = {
  [JobName.PaymentQueued]: QueueName.Settlement,
  [JobName.LaneFlush]: QueueName.Settlement,
  [JobName.BatchSubmit]: QueueName.Settlement,
  [JobName.BatchTrack]: QueueName.Settlement,
  [JobName.Sweep]: QueueName.Settlement,
  [JobName.WebhookDeliver]: QueueName.Webhooks,
  [JobName.OperatorPaymentRetry]: QueueName.OperatorActions,
  [JobName.OperatorPaymentVoid]: QueueName.OperatorActions,
  [JobName.OperatorBatchReplace]: QueueName.OperatorActions,
};

/** The operator actions carried out by the worker, by job. */
export const OPERATOR_ACTION_JOBS = {
  'payment.retry': JobName.OperatorPaymentRetry,
  'payment.void': JobName.OperatorPaymentVoid,
  'batch.replace': JobName.OperatorBatchReplace,
} as const;

/** An operator action the worker carries out (`admin_actions.action`). */
export type OperatorAction = keyof typeof OPERATOR_ACTION_JOBS;

/** The job names served by one queue (what its worker must have handlers for). */
export function jobsOn<Q extends QueueName>(queue: Q): JobsOn<Q>[] {
  return (Object.keys(JOB_QUEUE) as JobName[]).filter((n): n is JobsOn<Q> => JOB_QUEUE[n] === queue);
}

/** Default options per job. Retries are for transient faults; permanent ones throw UnrecoverableError. */
export const JOB_DEFAULTS: Record<JobName, JobsOptions> = {
  [JobName.PaymentQueued]: { attempts: 3, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.LaneFlush]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchSubmit]: { attempts: 8, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.BatchTrack]: { attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.Sweep]: { attempts: 1, removeOnComplete: 100, removeOnFail: 100 },
  // BullMQ retries only cover infrastructure faults (database unreachable). The HTTP retry schedule is
  // ours: each failed attempt is recorded and the next one is a new job delayed by the configured step.
  [JobName.WebhookDeliver]: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
  // An operator waits for these: retry infrastructure faults quickly; refusals are outcomes, not failures.
  [JobName.OperatorPaymentRetry]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.OperatorPaymentVoid]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
  [JobName.OperatorBatchReplace]: { attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: 1000, removeOnFail: 5000 },
};

/** Jobs that exist at most once at a time (BullMQ deduplicates by job id). */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayloads[N]): string | undefined {
  switch (name) {
    case JobName.BatchSubmit:
      return `submit-${(payload as JobPayloads[JobName.BatchSubmit]).batchId}`;
    // One job per action, so the worker's sweep can re-enqueue a lost one without doubling it.
    case JobName.OperatorPaymentRetry:
    case JobName.OperatorPaymentVoid:
    case JobName.OperatorBatchReplace:
      return `action-${(payload as { actionId: string }).actionId}`;
    default:
      return undefined;
  }
}

/**
 * Start-up check of a worker process: every job of the catalogue has exactly one handler among its
 * consumers (`handled`: the job names each consumer handles).
 * @throws Error naming the jobs without a handler and those with more than one.
 */
export function assertEveryJobHandledOnce(handled: ReadonlyArray<readonly JobName[]>): void {
  const count = new Map<JobName, number>();
  for (const names of handled) for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  const all = Object.values(JobName);
  const missing = all.filter((n) => !count.has(n));
  const twice = all.filter((n) => (count.get(n) ?? 0) > 1);
  const unknown = [...count.keys()].filter((n) => !all.includes(n));
  if (missing.length || twice.length || unknown.length) {
    throw new Error(
      [missing.length && `no handler for ${missing.join(', ')}`, twice.length && `several handlers for ${twice.join(', ')}`, unknown.length && `handlers for unknown jobs ${unknown.join(', ')}`]
        .filter(Boolean)
        .join('; '),
    );
  }
}
