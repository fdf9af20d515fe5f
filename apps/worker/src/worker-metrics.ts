import { Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { WorkerMetricsRepository } from '@tollgate/persistence';
import { JobName, JobQueues, QueueName } from '@tollgate/queue';

/** Hooks the settlement worker calls around every job (see {@link SettlementWorker}). */
export interface SettlementJobObserver {
  /** Before the handler; the value is handed back to {@link after}. */
  before(name: string, data: Record<string, unknown>): Promise<unknown>;
  after(name: string, data: Record<string, unknown>, before: unknown, error?: unknown): Promise<void>;
}

/** Budget of one Postgres/Redis/RPC read at scrape or readiness time (ms). */
export const CHECK_TIMEOUT_MS = 2_000;

/** `p`, or a rejection after {@link CHECK_TIMEOUT_MS}. */
export function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref())]);
}

/**
 * Metrics of one worker process, observed where the work happens: a batch's size when it is submitted,
 * its gas per payment and each payment's queued→included time when it is included, queued→confirmed at
 * confirmation. Each transition is observed by the one process whose job made it (the batch lock makes
 * that a single process), so summing over workers counts every batch once. Job counts and BullMQ queue
 * depth complete the picture; lane depth and age come from the API's `/metrics` (Postgres at scrape time).
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly logger = new Logger('WorkerMetrics');

  readonly jobs = new Counter({
    name: 'tollgate_worker_jobs_total',
    help: 'Jobs handled by this worker, by job name and outcome (completed, failed)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'tollgate_worker_job_duration_seconds',
    help: 'Job handling time by job name',
    labelNames: ['job'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'tollgate_batch_size',
    help: 'Payments per submitted batch transaction',
    buckets: [1, 2, 5, 10, 20, 50, 100, 150, 200, 250],
    registers: [this.registry],
  });
  readonly gasPerPayment = new Histogram({
    name: 'tollgate_batch_gas_per_payment',
    help: 'Gas used by an included batch divided by the payments that landed in it',
    buckets: [15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 50_000, 60_000, 80_000, 100_000, 150_000],
    registers: [this.registry],
  });
  readonly queuedToIncluded = new Histogram({
    name: 'tollgate_payment_queued_to_included_seconds',
    help: 'Time from a payment entering the queue to its inclusion on chain (Solana: the confirmed commitment), per network',
    labelNames: ['network'] as const,
    buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly queuedToConfirmed = new Histogram({
    name: 'tollgate_payment_queued_to_confirmed_seconds',
    help: 'Time from a payment entering the queue to its confirmation at the network depth (Solana: finalized), per network',
    labelNames: ['network'] as const,
    buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900, 1800],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'tollgate_webhook_deliveries_total',
    help: 'Webhook delivery attempts handled by this worker, by outcome: succeeded, retrying (failed, another attempt scheduled), failed (the delivery ended failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private repository?: WorkerMetricsRepository;
  private queues?: JobQueues;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_worker_' });
    const self = this;
    new Gauge({
      name: 'tollgate_queue_jobs',
      help: 'BullMQ jobs per queue and state (jobs are nudges; Postgres holds the payments)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const queues = self.queues;
        if (!queues) return;
        for (const name of Object.values(QueueName)) {
          try {
            const counts = await withTimeout(queues.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'));
            for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
          } catch {
            // Redis unreachable: the series disappear rather than lie.
          }
        }
      },
    });
    new Gauge({
      name: 'tollgate_fee_payer_balance_lamports',
      help: 'SOL balance of each Solana fee payer in lamports, as the Solana settlement worker last read it (every 10 s)',
      labelNames: ['network', 'fee_payer'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const b of self.feePayerBalances?.() ?? []) this.set({ network: b.network, fee_payer: b.feePayer }, Number(b.lamports));
      },
    });
    new Gauge({
      name: 'tollgate_relayer_nonce_gap',
      help: "Nonces a relayer's chain account is behind its lowest live transaction, as the last nonce-gap pass saw it (above 0: nothing it sends can be mined until the gap is filled)",
      labelNames: ['network', 'relayer'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const repository = self.repository;
        if (!repository) return;
        try {
          const rows = await withTimeout(repository.relayerNonceGaps());
          for (const r of rows) this.set({ network: r.network, relayer: r.address }, r.nonce_gap);
        } catch {
          // Postgres unreachable: no series rather than a stale zero.
        }
      },
    });
  }

  /** Last fee-payer balances of the Solana settlement worker (set by {@link attachFeePayers}). */
  private feePayerBalances?: () => ReadonlyArray<{ network: string; feePayer: string; lamports: bigint }>;

  /** Gives the fee-payer balance gauge its source (the Solana settlement worker's last reads). */
  attachFeePayers(read: () => ReadonlyArray<{ network: string; feePayer: string; lamports: bigint }>): void {
    this.feePayerBalances = read;
  }

  /** Observes a Solana payment the Solana settlement worker moved to included or confirmed (see `SvmSettlerOptions.onLanded`). */
  observeSvmLanded(e: { network: string; phase: 'included' | 'confirmed'; queuedSeconds: number | null }): void {
    if (e.queuedSeconds === null) return;
    (e.phase === 'included' ? this.queuedToIncluded : this.queuedToConfirmed).observe({ network: e.network }, e.queuedSeconds);
  }

  /** Gives the metrics their Postgres and queues (once the worker that owns them has started). */
  attach(dataSource: DataSource, queues: JobQueues): void {
    this.repository = new WorkerMetricsRepository(dataSource);
    this.queues = queues;
  }

  /** Observer for {@link SettlementWorker}: times jobs and reads what a batch job changed. */
  observer(): SettlementJobObserver {
    return {
      before: async (name, data) => {
        const started = process.hrtime.bigint();
        const batchId = typeof data.batchId === 'string' ? data.batchId : null;
        const repository = this.repository;
        if (!repository || !batchId || (name !== JobName.BatchSubmit && name !== JobName.BatchTrack)) return { started, status: null };
        return { started, status: await repository.batchStatus(batchId).catch(() => null) };
      },
      after: async (name, data, before, error) => {
        const b = before as { started: bigint; status: string | null } | undefined;
        if (b) this.jobDuration.observe({ job: name }, Number(process.hrtime.bigint() - b.started) / 1e9);
        this.jobs.inc({ job: name, outcome: error ? 'failed' : 'completed' });
        const batchId = typeof data.batchId === 'string' ? data.batchId : null;
        if (error || !batchId || !b?.status) return;
        await this.observeBatch(batchId, b.status).catch((e: Error) => this.logger.warn(`batch metrics for ${batchId} failed: ${e.message}`));
      },
    };
  }

  private async observeBatch(batchId: string, before: string): Promise<void> {
    const repository = this.repository;
    if (!repository) return;
    const batch = await repository.batch(batchId);
    if (!batch || batch.status === before) return;
    if (before === 'building' && ['submitted', 'included', 'confirmed'].includes(batch.status)) this.batchSize.observe(batch.payment_count);
    const nowIncluded = before === 'submitted' && ['included', 'confirmed', 'failed', 'cancelled'].includes(batch.status);
    if (nowIncluded) {
      const secs = await repository.queuedToIncludedSeconds(batchId);
      for (const s of secs) if (s !== null) this.queuedToIncluded.observe({ network: batch.network }, Math.max(0, s));
      if (batch.gas_used && secs.length) this.gasPerPayment.observe(Number(batch.gas_used) / secs.length);
    }
    if (batch.status === 'confirmed' && (before === 'included' || before === 'submitted')) {
      for (const s of await repository.queuedToConfirmedSeconds(batchId)) if (s !== null) this.queuedToConfirmed.observe({ network: batch.network }, Math.max(0, s));
    }
  }
}
