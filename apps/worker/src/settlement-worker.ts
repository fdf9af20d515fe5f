import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { WorkerConfig } from '@tollgate/config';
import { ChainClients, logSafeError } from '@tollgate/evm';
import { closeLockPool, createDataSource, PaymentLedger } from '@tollgate/persistence';
import { assertJobHandlers, JobName, JobPayloads, JobQueues, JobsOn, QueueName, redisConnection } from '@tollgate/queue';
import { BatchSubmitter, BatchTracker, LaneScheduler, NonceGapHealer, RpcError, SettlementContext, Sweeper } from '@tollgate/settlement';
import { toQueueError } from './queue-boundary';
import { HistoryMaintenanceLoop } from './history-maintenance';
import { WorkerHeartbeatLoop } from './worker-heartbeat';
import type { SettlementJobObserver } from './worker-metrics';

/** Scheduler passes triggered by payment-queued jobs are at least this far apart. */
const NUDGE_MIN_INTERVAL_MS = 50;

/** How long the settlement queue pauses after an RPC provider answers 429. */
const RATE_LIMIT_BACKOFF_MS = 5_000;

/** How {@link SettlementWorker.start} runs: BullMQ concurrency (default 8), metrics hooks, a shared Postgres. */
export interface SettlementWorkerOptions {
  concurrency?: number;
  observer?: SettlementJobObserver;
  /** An initialized DataSource owned by the caller (the worker module); otherwise the worker opens its own. */
  dataSource?: DataSource;
}

type Handlers = { [N in JobsOn<QueueName.Settlement>]: (payload: JobPayloads[N]) => Promise<unknown> };

/**
 * The settlement worker: one BullMQ consumer of the settlement queue dispatching by job name, the lane
 * scheduler loop (reads Postgres every BATCH_TICK_MS) and the sweeper loop (SWEEP_INTERVAL_MS, which also
 * runs the relayers' nonce-gap check, {@link NonceGapHealer}), and the process heartbeat in Postgres
 * ({@link WorkerHeartbeatLoop}) and history partition upkeep ({@link HistoryMaintenanceLoop}). Starts no HTTP server. In the worker process
 * it is a provider of `WorkerModule`: built by {@link create}, consuming from `onApplicationBootstrap`,
 * drained by `onModuleDestroy`.
 */
export class SettlementWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SettlementWorker');
  private worker?: Worker;
  private timers: NodeJS.Timeout[] = [];
  private ticking = false;
  private stopping = false;
  /** Metrics hooks around every job (optional: tests and embedders may run without). */
  private observer?: SettlementJobObserver;
  private concurrency = 8;
  /** False when the DataSource was handed in: its owner closes it. */
  private ownsDataSource = true;

  private constructor(
    readonly ctx: SettlementContext,
    private readonly redisWorker: IORedis,
    private readonly redisProducer: IORedis,
    readonly scheduler: LaneScheduler,
    readonly submitter: BatchSubmitter,
    readonly tracker: BatchTracker,
    readonly sweeper: Sweeper,
    readonly healer: NonceGapHealer,
  ) {
    this.heartbeat = new WorkerHeartbeatLoop(ctx.dataSource, ['settlement']);
    this.history = new HistoryMaintenanceLoop(ctx.dataSource, ctx.config.history);
  }

  /** Keeps history partitions created ahead of today and moves finished payments to `payments_history`. */
  readonly history: HistoryMaintenanceLoop;

  /** This process's row in `worker_heartbeats` (the API's "is any worker settling?"), beating while the loops run. */
  readonly heartbeat: WorkerHeartbeatLoop;

  /** Connects to Postgres, Redis and every chain, registers relayers, and starts consuming. */
  static async start(config: WorkerConfig, opts: SettlementWorkerOptions = {}): Promise<SettlementWorker> {
    const w = await SettlementWorker.create(config, opts);
    w.begin();
    return w;
  }

  /**
   * Connects to Redis and every chain (and to Postgres, unless `opts.dataSource` is given: then the caller
   * owns and closes it) and registers the relayers, without consuming yet ({@link begin}).
   */
  static async create(config: WorkerConfig, opts: SettlementWorkerOptions = {}): Promise<SettlementWorker> {
    const dataSource: DataSource =
      opts.dataSource ?? (await createDataSource({ databaseUrl: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: 'tollgate-worker' }).initialize());
    const redisProducer = redisConnection(config.redisUrl, 'producer');
    const redisWorker = redisConnection(config.redisUrl, 'worker');
    const queues = new JobQueues(redisProducer, config.queuePrefix);
    const ctx = new SettlementContext(config, dataSource, new PaymentLedger(dataSource), new ChainClients(config.networks), queues);
    await ctx.registerRelayers();
    const w = new SettlementWorker(ctx, redisWorker, redisProducer, new LaneScheduler(ctx), new BatchSubmitter(ctx), new BatchTracker(ctx), new Sweeper(ctx), new NonceGapHealer(ctx));
    w.observer = opts.observer;
    w.concurrency = opts.concurrency ?? 8;
    w.ownsDataSource = !opts.dataSource;
    return w;
  }

  onApplicationBootstrap(): void {
    this.begin();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** True while the consumer and the scheduler/sweeper loops run (readiness). */
  get running(): boolean {
    return this.worker !== undefined && this.worker.isRunning() && this.timers.length > 0 && !this.stopping;
  }

  /** The jobs this worker handles (for the process-wide start-up check). */
  get handledJobs(): JobName[] {
    return Object.keys(this.handlers()) as JobName[];
  }

  private handlers(): Handlers {
    return {
      [JobName.PaymentQueued]: () => this.nudge(),
      [JobName.LaneFlush]: (p) => this.scheduler.flush(p.network, p.asset),
      [JobName.BatchSubmit]: (p) => this.submitter.submit(p.batchId),
      [JobName.BatchTrack]: (p) => this.tracker.track(p.batchId),
      [JobName.Sweep]: () => this.sweeper.sweep(),
    };
  }

  /** Starts consuming the settlement queue and the scheduler and sweeper loops (once). */
  begin(): void {
    if (this.worker || this.stopping) return;
    const concurrency = this.concurrency;
    const handlers = this.handlers();
    // Start-up check: every job the catalogue puts on this queue has exactly one handler.
    assertJobHandlers(QueueName.Settlement, handlers);
    this.worker = new Worker(
      QueueName.Settlement,
      async (job: Job) => {
        const handler = handlers[job.name as JobsOn<QueueName.Settlement>] as ((p: unknown) => Promise<unknown>) | undefined;
        if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
        const data = (job.data ?? {}) as Record<string, unknown>;
        // The HTTP request that caused the job (API `req.id`), so one /settle or operator action can be followed here.
        if (data.requestId) this.logger.debug({ msg: 'job', job: job.name, jobId: job.id, requestId: data.requestId });
        const before = await this.observer?.before(job.name, data).catch(() => undefined);
        let failure: unknown;
        try {
          await handler(job.data);
        } catch (e) {
          failure = e;
          if (e instanceof RpcError && e.kind === 'rate-limited') {
            // The provider said 429: back the whole settlement queue off rather than hammer it.
            await this.worker?.rateLimit(RATE_LIMIT_BACKOFF_MS);
            throw Worker.RateLimitError();
          }
          throw toQueueError(e);
        } finally {
          await this.observer?.after(job.name, data, before, failure).catch(() => undefined);
        }
      },
      { connection: this.redisWorker, prefix: this.ctx.config.queuePrefix, concurrency, autorun: true },
    );
    this.worker.on('failed', (job, err) =>
      this.logger.warn({ msg: `job ${job?.name} ${job?.id} failed: ${logSafeError(err)}`, requestId: (job?.data as { requestId?: string } | undefined)?.requestId }),
    );
    this.worker.on('error', (err) => this.logger.error(`worker error: ${logSafeError(err)}`));
    const s = this.ctx.config.settlement;
    this.timers.push(setInterval(() => void this.tick(), s.tickMs));
    this.timers.push(setInterval(() => void this.sweep(), s.sweepIntervalMs));
    this.heartbeat.start();
    this.history.start();
    void this.sweep();
  }

  private lastTickAt = 0;

  /**
   * A payment was queued: run a scheduler pass unless one ran in the last NUDGE_MIN_INTERVAL_MS. At
   * hundreds of settles per second, a pass per job cost more Postgres time than the settles themselves;
   * the periodic tick still catches anything a skipped nudge would have flushed.
   */
  private async nudge(): Promise<void> {
    if (Date.now() - this.lastTickAt < NUDGE_MIN_INTERVAL_MS) return;
    await this.tick();
  }

  /** One scheduler pass; passes never overlap within a process. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    this.lastTickAt = Date.now();
    try {
      await this.scheduler.tick();
    } catch (e) {
      this.logger.warn(`lane scheduler pass failed: ${logSafeError(e)}`);
    } finally {
      this.ticking = false;
    }
  }

  private async sweep(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.sweeper.sweep();
    } catch (e) {
      this.logger.warn(`sweep failed: ${logSafeError(e)}`);
    }
    if (this.stopping) return;
    // Not a queue job: it must run even when the settlement queue is wedged or Redis lost its keys.
    await this.healer.healAll().catch((e: Error) => this.logger.warn(`nonce gap check failed: ${e.message}`));
  }

  /**
   * Graceful shutdown: stops the loops, lets active jobs finish (each is resumable, so an abandoned
   * one is simply picked up again), then closes connections.
   */
  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private stopped?: Promise<void>;

  private async drain(): Promise<void> {
    this.stopping = true;
    this.timers.forEach(clearInterval);
    this.timers = [];
    await this.heartbeat.stop();
    await this.history.stop();
    await this.worker?.close();
    while (this.ticking) await new Promise((r) => setTimeout(r, 20));
    await this.ctx.queues.close();
    this.redisWorker.disconnect();
    this.redisProducer.disconnect();
    if (!this.ownsDataSource) return;
    await closeLockPool(this.ctx.dataSource);
    if (this.ctx.dataSource.isInitialized) await this.ctx.dataSource.destroy();
  }
}
