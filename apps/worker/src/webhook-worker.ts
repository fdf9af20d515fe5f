import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { TollgateConfig } from '@tollgate/config';
import { createDataSource } from '@tollgate/persistence';
import { assertJobHandlers, JobName, JobPayloads, JobQueues, JobsOn, QueueName, redisConnection } from '@tollgate/queue';
import { DeliverOutcome, SecretBox, WebhookDeliveryService, WebhookDispatcher, WebhookUrlPolicy } from '@tollgate/webhooks';
import { logSafeError } from '@tollgate/evm';
import { OutboxListener } from './outbox-listener';

/** Outcome of one delivery attempt: `succeeded`, `retrying` (failed, next attempt scheduled) or `failed` (ended). */
export type AttemptListener = (outcome: 'succeeded' | 'retrying' | 'failed', deliveryId: string) => void;

/** How {@link WebhookWorker.start} runs. */
export interface WebhookWorkerOptions {
  /** Deliveries in flight (default WEBHOOK_CONCURRENCY). */
  concurrency?: number;
  /** Told the outcome of every attempt (metrics). */
  onAttempt?: AttemptListener;
  /** false: no outbox listener of its own (WorkerModule provides one). Default true. */
  listen?: boolean;
}

type Handlers = { [N in JobsOn<QueueName.Webhooks>]: (payload: JobPayloads[N], job: Job, token?: string) => Promise<unknown> };

/**
 * The webhook worker: one BullMQ consumer of the webhooks queue and the outbox relay / lost-job sweeper,
 * run when Postgres notifies that deliveries were committed ({@link OutboxListener}) and every
 * WEBHOOK_SWEEP_INTERVAL_MS as a backstop. Deliveries are written to Postgres by the payment ledger (any process)
 * and the merchant API; this worker makes their attempts on the configured schedule. Starts no HTTP server.
 * In the worker process it is a provider of `WorkerModule` (consuming from `onApplicationBootstrap`, drained
 * by `onModuleDestroy`), and the outbox listener is a provider of its own.
 */
export class WebhookWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookWorker');
  private worker?: Worker;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  /** A notification arrived during a pass: run one more when it ends. */
  private sweepAgain = false;
  private stopping = false;
  private listener?: OutboxListener;
  private concurrency = 16;
  /** Whether {@link begin} opens its own outbox listener (in WorkerModule the listener is a provider). */
  private listen = true;

  private constructor(
    readonly config: TollgateConfig,
    readonly dataSource: DataSource,
    readonly queues: JobQueues,
    readonly service: WebhookDeliveryService,
    private readonly redisWorker: IORedis,
    private readonly redisProducer: IORedis,
    private readonly onAttempt?: AttemptListener,
  ) {}

  /** Connects to Postgres and Redis and starts consuming and sweeping (with its own outbox listener). */
  static async start(config: TollgateConfig, opts: WebhookWorkerOptions = {}): Promise<WebhookWorker> {
    const worker = await WebhookWorker.create(config, opts);
    worker.begin();
    return worker;
  }

  /** Connects to Postgres and Redis without consuming yet ({@link begin}). */
  static async create(config: TollgateConfig, opts: WebhookWorkerOptions = {}): Promise<WebhookWorker> {
    const dataSource = await createDataSource({
      databaseUrl: config.databaseUrl,
      poolSize: Math.min(config.databasePoolSize, 10),
      applicationName: 'tollgate-webhooks',
    }).initialize();
    const redisProducer = redisConnection(config.redisUrl, 'producer');
    const redisWorker = redisConnection(config.redisUrl, 'worker');
    const queues = new JobQueues(redisProducer, config.queuePrefix);
    const w = config.webhooks;
    const service = new WebhookDeliveryService(
      config,
      dataSource,
      new SecretBox(w.secretKey, w.secretKeySource),
      new WebhookUrlPolicy({ httpAllowlist: w.httpAllowlist, allowPrivateAddresses: w.allowPrivateAddresses }),
      new WebhookDispatcher(dataSource, queues),
    );
    const worker = new WebhookWorker(config, dataSource, queues, service, redisWorker, redisProducer, opts.onAttempt);
    worker.concurrency = opts.concurrency ?? w.concurrency;
    worker.listen = opts.listen ?? true;
    return worker;
  }

  onApplicationBootstrap(): void {
    this.begin();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** True while the consumer and the periodic relay/sweep run (readiness). */
  get running(): boolean {
    return this.worker !== undefined && this.worker.isRunning() && this.timer !== undefined && !this.stopping;
  }

  /** The jobs this worker handles (for the process-wide start-up check). */
  get handledJobs(): JobName[] {
    return Object.keys(this.handlers()) as JobName[];
  }

  private handlers(): Handlers {
    return {
      [JobName.WebhookDeliver]: async (p, job, token) => this.onOutcome(p.deliveryId, await this.service.deliver(p.deliveryId), job, token),
    };
  }

  private async onOutcome(deliveryId: string, outcome: DeliverOutcome, job: Job, token?: string): Promise<DeliverOutcome> {
    if (outcome.kind === 'not-found') throw new UnrecoverableError(`webhook delivery ${(job.data as { deliveryId: string }).deliveryId} does not exist`);
    if (outcome.kind === 'early') {
      // Same job, later: keeps its id (and so its deduplication) instead of adding a second one.
      await job.moveToDelayed(Date.now() + outcome.dueInMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'succeeded' || outcome.kind === 'retrying' || outcome.kind === 'failed') this.onAttempt?.(outcome.kind, deliveryId);
    return outcome;
  }

  /** Starts consuming the webhooks queue, the periodic relay/sweep and (unless `listen: false`) the outbox listener. */
  begin(): void {
    if (this.worker || this.stopping) return;
    const concurrency = this.concurrency;
    const handlers = this.handlers();
    // Start-up check: every job of this queue has exactly one handler.
    assertJobHandlers(QueueName.Webhooks, handlers);
    this.worker = new Worker(
      QueueName.Webhooks,
      async (job: Job, token?: string) => {
        const handler = handlers[job.name as JobsOn<QueueName.Webhooks>] as ((p: unknown, job: Job, token?: string) => Promise<unknown>) | undefined;
        if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
        return handler(job.data, job, token);
      },
      { connection: this.redisWorker, prefix: this.config.queuePrefix, concurrency, autorun: true },
    );
    this.worker.on('failed', (job, err) => this.logger.warn(`job ${job?.name} ${job?.id} failed: ${logSafeError(err)}`));
    this.worker.on('error', (err) => this.logger.error(`worker error: ${logSafeError(err)}`));
    this.timer = setInterval(() => void this.sweep(), this.config.webhooks.sweepIntervalMs);
    if (this.listen) {
      this.listener = new OutboxListener(this.config.databaseUrl, () => void this.sweep());
      this.listener.start();
    }
    void this.sweep();
  }

  /** One relay/sweep pass; passes never overlap within a process. */
  async sweep(): Promise<void> {
    if (this.stopping) return;
    if (this.sweeping) {
      // Deliveries committed after this pass read the outbox would otherwise wait for the next tick.
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = this.service
      .sweep()
      .then(() => undefined)
      .catch((e: Error) => this.logger.warn(`webhook sweep failed: ${e.message}`))
      .finally(() => {
        this.sweeping = undefined;
        if (this.sweepAgain) {
          this.sweepAgain = false;
          void this.sweep();
        }
      });
    return this.sweeping;
  }

  /** Graceful shutdown: stops the loop, lets attempts in flight finish, closes connections. */
  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private stopped?: Promise<void>;

  private async drain(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.listener?.stop();
    await this.worker?.close();
    await this.sweeping;
    await this.service.close().catch(() => undefined);
    await this.queues.close();
    this.redisWorker.disconnect();
    this.redisProducer.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
