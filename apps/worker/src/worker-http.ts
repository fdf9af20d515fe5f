import { DynamicModule, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { ConfigModule, TollgateConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { JobQueues } from '@tollgate/queue';
import { WORKER_LOOPS, WorkerHealthController, WorkerLoop } from './worker-health.controller';
import { WorkerMetrics } from './worker-metrics';
import { WorkerMetricsController } from './worker-metrics.controller';

/**
 * The worker's only HTTP: `/health`, `/health/live`, `/health/ready` and `/metrics`. Its controllers take
 * the DataSource, JobQueues, ChainClients, WorkerMetrics, WORKER_LOOPS and the configuration from a global
 * module (WorkerModule in the worker process, {@link startWorkerHttp}'s host module for embedders).
 */
@Module({ imports: [TerminusModule], controllers: [WorkerHealthController, WorkerMetricsController] })
export class WorkerHttpModule {}

/** The worker's health/metrics listener on WORKER_METRICS_PORT. */
export interface WorkerHttp {
  server: Server;
  /** The bound port (WORKER_METRICS_PORT=0 picks a free one). */
  port: number;
  close(): Promise<void>;
}

/** Listens on WORKER_METRICS_HOST:WORKER_METRICS_PORT and returns the bound port. */
export async function listenWorkerHttp(app: INestApplication, config: TollgateConfig): Promise<WorkerHttp> {
  await app.listen(config.worker.metricsPort, config.worker.metricsHost);
  const server = app.getHttpServer() as Server;
  return { server, port: (server.address() as AddressInfo).port, close: () => app.close() };
}

interface WorkerHttpDeps {
  config: TollgateConfig;
  metrics: WorkerMetrics;
  dataSource: DataSource;
  queues: JobQueues;
  chains: ChainClients;
  /** Loops reported as `loops` by readiness; none (default): no such check. */
  loops?: readonly WorkerLoop[];
}

/** Hosts {@link WorkerHttpModule} over connections someone else owns (closing the app leaves them open). */
@Module({})
class WorkerHttpHostModule {
  static forRoot(d: WorkerHttpDeps): DynamicModule {
    return {
      module: WorkerHttpHostModule,
      global: true,
      imports: [ConfigModule.forRoot(d.config), WorkerHttpModule],
      providers: [
        { provide: DataSource, useValue: d.dataSource },
        { provide: JobQueues, useValue: d.queues },
        { provide: ChainClients, useValue: d.chains },
        { provide: WorkerMetrics, useValue: d.metrics },
        { provide: WORKER_LOOPS, useValue: d.loops ?? [] },
      ],
      exports: [DataSource, JobQueues, ChainClients, WorkerMetrics, WORKER_LOOPS],
    };
  }
}

/**
 * Starts the worker's health/metrics listener for a worker run in-process (tests, embedders) over its
 * connections: `/health/ready` checks Postgres, Redis, every network's RPC and that no relayer is wedged
 * (503 when any is down); `/metrics` is `metrics`' registry. The worker process itself serves the same
 * controllers from WorkerModule.
 */
export async function startWorkerHttp(deps: WorkerHttpDeps): Promise<WorkerHttp> {
  // No logger option: that would replace the process-wide Nest logger of whoever embeds the worker.
  const app = await NestFactory.create(WorkerHttpHostModule.forRoot(deps), { abortOnError: false });
  return listenWorkerHttp(app, deps.config);
}
