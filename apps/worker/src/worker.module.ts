import { DynamicModule, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { ConfigModule, logDestination, TOLLGATE_CONFIG, WorkerConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { closeLockPool, createDataSource } from '@tollgate/persistence';
import { assertEveryJobHandledOnce, JobQueues } from '@tollgate/queue';
import { OperatorActionWorker } from './operator-action-worker';
import { OutboxListener } from './outbox-listener';
import { SettlementWorker } from './settlement-worker';
import { SvmSettlementWorker } from './svm-settlement-worker';
import { WebhookWorker } from './webhook-worker';
import { WORKER_LOOPS, WorkerLoop } from './worker-health.controller';
import { WorkerHttpModule } from './worker-http';
import { workerPinoOptions } from './worker-logging';
import { WorkerMetrics } from './worker-metrics';

/**
 * Refuses to build the worker unless every job of the catalogue has exactly one handler among its
 * consumers. Runs at instantiation, before any consumer begins (onApplicationBootstrap).
 */
@Injectable()
class JobHandlerCheck {
  constructor(settlement: SettlementWorker, webhooks: WebhookWorker, operatorActions: OperatorActionWorker) {
    assertEveryJobHandledOnce([settlement.handledJobs, webhooks.handledJobs, operatorActions.handledJobs]);
  }
}

/** Closes the worker's Postgres pool after every consumer has drained (onModuleDestroy runs first). */
@Injectable()
class PostgresCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    await closeLockPool(this.dataSource);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * The worker process as a Nest module: the validated configuration, nestjs-pino (as the API: JSON lines,
 * readable with NODE_ENV=development, secrets redacted), the settlement worker's Postgres DataSource, the
 * three BullMQ consumers of the job catalogue (settlement, webhooks, operator actions) and the outbox
 * listener — each begins in `onApplicationBootstrap` and drains in `onModuleDestroy` — plus the
 * health/metrics controllers ({@link WorkerHttpModule}). Global, so those controllers find its providers.
 * The webhook and operator-action consumers keep their own smaller pools, as before.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: WorkerModule,
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: withDestination({ ...workerPinoOptions(config), autoLogging: false, quietReqLogger: true }, logDestination(config)),
        }),
        WorkerHttpModule,
      ],
      providers: [
        {
          provide: DataSource,
          inject: [TOLLGATE_CONFIG],
          useFactory: (c: WorkerConfig) => createDataSource({ databaseUrl: c.databaseUrl, poolSize: c.databasePoolSize, applicationName: 'tollgate-worker' }).initialize(),
        },
        { provide: WorkerMetrics, useFactory: () => new WorkerMetrics() },
        {
          provide: SettlementWorker,
          inject: [TOLLGATE_CONFIG, DataSource, WorkerMetrics],
          useFactory: async (c: WorkerConfig, dataSource: DataSource, metrics: WorkerMetrics) => {
            const worker = await SettlementWorker.create(c, { dataSource, observer: metrics.observer() });
            metrics.attach(dataSource, worker.ctx.queues);
            return worker;
          },
        },
        { provide: JobQueues, inject: [SettlementWorker], useFactory: (w: SettlementWorker) => w.ctx.queues },
        { provide: ChainClients, inject: [SettlementWorker], useFactory: (w: SettlementWorker) => w.ctx.chains },
        {
          provide: WebhookWorker,
          inject: [TOLLGATE_CONFIG, WorkerMetrics],
          useFactory: (c: WorkerConfig, metrics: WorkerMetrics) => WebhookWorker.create(c, { listen: false, onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }) }),
        },
        { provide: OutboxListener, inject: [TOLLGATE_CONFIG, WebhookWorker], useFactory: (c: WorkerConfig, w: WebhookWorker) => new OutboxListener(c.databaseUrl, () => void w.sweep()) },
        { provide: OperatorActionWorker, inject: [TOLLGATE_CONFIG], useFactory: (c: WorkerConfig) => OperatorActionWorker.create(c) },
        {
          // Solana settles beside EVM, only where a Solana network is configured (EVM lanes never see `solana:` ones).
          provide: SvmSettlementWorker,
          inject: [TOLLGATE_CONFIG, WorkerMetrics],
          useFactory: async (c: WorkerConfig, metrics: WorkerMetrics): Promise<SvmSettlementWorker | null> => {
            if (!c.solanaNetworks) return null;
            const svm = await SvmSettlementWorker.start(c, { onLanded: (e) => metrics.observeSvmLanded(e) });
            metrics.attachFeePayers(() => svm.balances);
            return svm;
          },
        },
        {
          provide: WORKER_LOOPS,
          inject: [SettlementWorker, WebhookWorker, OperatorActionWorker],
          useFactory: (s: SettlementWorker, w: WebhookWorker, o: OperatorActionWorker): WorkerLoop[] => [
            { name: 'settlement', get running() { return s.running; } },
            { name: 'webhooks', get running() { return w.running; } },
            { name: 'operator-actions', get running() { return o.running; } },
          ],
        },
        JobHandlerCheck,
        PostgresCloser,
      ],
      exports: [DataSource, JobQueues, ChainClients, WorkerMetrics, WORKER_LOOPS, SettlementWorker, WebhookWorker, OperatorActionWorker],
    };
  }
}

/** nestjs-pino takes `[options, stream]` for a custom destination, the options alone for stdout. */
function withDestination<T>(options: T, destination: DestinationStream | undefined): T | [T, DestinationStream] {
  return destination ? [options, destination] : options;
}
