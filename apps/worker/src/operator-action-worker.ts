import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TollgateConfig } from '@tollgate/config';
import { ChainClients, logSafeError } from '@tollgate/evm';
import { closeLockPool, createDataSource, PaymentLedger } from '@tollgate/persistence';
import { JobName, JobPayloads, JobQueues, jobsOn, JobsOn, OPERATOR_ACTION_JOBS, QueueName, redisConnection } from '@tollgate/queue';
import { OperatorActions } from '@tollgate/settlement';
import { toQueueError } from './queue-boundary';

type Handlers = { [N in JobsOn<QueueName.OperatorActions>]: (payload: JobPayloads[N]) => Promise<unknown> };

/** A request still waiting this long after it was made is enqueued again by the sweep (its job was lost with Redis). */
const LOST_JOB_AFTER_MS = 5_000;

/**
 * The operator-action worker: one BullMQ consumer of the operator-actions queue carrying out what an
 * operator asked through the API (retry, void, replace; see {@link OperatorActions}), and a sweep every
 * SWEEP_INTERVAL_MS that re-enqueues requests whose job was lost and expires stale ones. Needs no relayer
 * keys itself (the batch tracker, in the settlement worker, signs a replacement) but runs beside the
 * settlement worker, never in the API. Starts no HTTP server. In the worker process it is a provider of
 * `WorkerModule` (consuming from `onApplicationBootstrap`, drained by `onModuleDestroy`).
 */
export class OperatorActionWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OperatorActionWorker');
  private worker?: Worker;
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private stopping = false;
  private concurrency = 4;

  private constructor(
    readonly config: TollgateConfig,
    readonly dataSource: DataSource,
    readonly queues: JobQueues,
    readonly actions: OperatorActions,
    private readonly redisWorker: IORedis,
    private readonly redisProducer: IORedis,
  ) {}

  /** Connects to Postgres, Redis and the chains (reads only) and starts consuming and sweeping. */
  static async start(config: TollgateConfig, opts: { concurrency?: number } = {}): Promise<OperatorActionWorker> {
    const w = await OperatorActionWorker.create(config, opts);
    w.begin();
    return w;
  }

  /** Connects to Postgres, Redis and the chains without consuming yet ({@link begin}); `concurrency` defaults to 4. */
  static async create(config: TollgateConfig, opts: { concurrency?: number } = {}): Promise<OperatorActionWorker> {
    const dataSource = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 4, applicationName: 'tollgate-operator-actions' }).initialize();
    const redisProducer = redisConnection(config.redisUrl, 'producer');
    const redisWorker = redisConnection(config.redisUrl, 'worker');
    const queues = new JobQueues(redisProducer, config.queuePrefix);
    const actions = new OperatorActions(config, dataSource, new PaymentLedger(dataSource), new ChainClients(config.networks), queues);
    const w = new OperatorActionWorker(config, dataSource, queues, actions, redisWorker, redisProducer);
    w.concurrency = opts.concurrency ?? 4;
    return w;
  }

  onApplicationBootstrap(): void {
    this.begin();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** True while the consumer and the sweep run (readiness). */
  get running(): boolean {
    return this.worker !== undefined && this.worker.isRunning() && this.timer !== undefined && !this.stopping;
  }

  /** The jobs this worker handles (for the process-wide start-up check). */
  get handledJobs(): JobName[] {
    return Object.keys(this.handlers()) as JobName[];
  }

  private handlers(): Handlers {
    return {
      [JobName.OperatorPaymentRetry]: (p) => this.actions.execute(p.actionId),
      [JobName.OperatorPaymentVoid]: (p) => this.actions.execute(p.actionId),
      [JobName.OperatorBatchReplace]: (p) => this.actions.execute(p.actionId),
    };
  }

  /** Starts consuming the operator-actions queue and the sweep (once). */
  begin(): void {
    if (this.worker || this.stopping) return;
    const concurrency = this.concurrency;
    const handlers = this.handlers();
    const missing = jobsOn(QueueName.OperatorActions).filter((n) => typeof handlers[n] !== 'function');
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
    this.worker = new Worker(
      QueueName.OperatorActions,
      async (job: Job) => {
        const handler = handlers[job.name as JobsOn<QueueName.OperatorActions>] as ((p: unknown) => Promise<unknown>) | undefined;
        if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
        try {
          await handler(job.data);
        } catch (e) {
          throw toQueueError(e);
        }
      },
      { connection: this.redisWorker, prefix: this.config.queuePrefix, concurrency, autorun: true },
    );
    this.worker.on('failed', (job, err) => {
      this.logger.warn({ msg: `job ${job?.name} ${job?.id} failed: ${logSafeError(err)}`, requestId: (job?.data as { requestId?: string } | undefined)?.requestId });
      const actionId = (job?.data as { actionId?: string } | undefined)?.actionId;
      const final = job && (err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1));
      // The operator is told rather than left with a request that stays "requested" forever.
      if (final && actionId) void this.actions.markFailed(actionId, logSafeError(err)).catch(() => undefined);
    });
    this.worker.on('error', (err) => this.logger.error(`worker error: ${logSafeError(err)}`));
    this.timer = setInterval(() => void this.sweep(), this.config.settlement.sweepIntervalMs);
    void this.sweep();
  }

  /** Re-enqueues requests whose job was lost (deduplicated by action id) and expires stale ones. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const a of await this.actions.sweep(LOST_JOB_AFTER_MS)) {
        await this.queues.add(OPERATOR_ACTION_JOBS[a.action], { actionId: a.id, requestId: a.request_id ?? undefined });
      }
    } catch (e) {
      this.logger.warn(`operator action sweep failed: ${logSafeError(e)}`);
    } finally {
      this.sweeping = false;
    }
  }

  /** Lets active jobs finish, then closes connections. */
  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private stopped?: Promise<void>;

  private async drain(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close();
    while (this.sweeping) await new Promise((r) => setTimeout(r, 20));
    await this.queues.close();
    this.redisWorker.disconnect();
    this.redisProducer.disconnect();
    await closeLockPool(this.dataSource);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
