import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerConfig } from '@tollgate/config';
import { WorkerModule } from './worker.module';

/**
 * Builds the worker process (not listening yet: see `listenWorkerHttp`): connects to Postgres, Redis and
 * every chain, registers the relayers, checks that every job has one handler, and starts the consumers and
 * loops. Logs go through nestjs-pino, as the API's.
 * @param opts.shutdownHooks default true: SIGTERM/SIGINT close the app (consumers drain, then connections
 *   close) and the signal is re-raised. A host that owns shutdown itself passes false.
 * @throws whatever connecting or the start-up check threw (nothing keeps running then).
 */
export async function createWorkerApp(config: WorkerConfig, opts: { shutdownHooks?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  if (opts.shutdownHooks ?? true) app.enableShutdownHooks();
  return app;
}
