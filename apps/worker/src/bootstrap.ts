import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerConfig } from '@tollgate/config';
import { WorkerModule } from './worker.module';

/**
 * Builds and starts the worker process (its health/metrics listener not yet: see `listenWorkerHttp`):
 * connects to Postgres, Redis and every chain, registers the relayers, checks that every job has one
 * handler, and starts the consumers and loops. Logs go through nestjs-pino, as the API's.
 * @param opts.shutdownHooks default true: SIGTERM/SIGINT close the app (consumers drain, then connections
 *   close) and the signal is re-raised. A host that owns shutdown itself passes false.
 * @throws whatever connecting or the start-up check threw; connections opened before it stay open, so the
 *   caller exits (as `main.ts` does).
 */
export async function createWorkerApp(config: WorkerConfig, opts: { shutdownHooks?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  if (opts.shutdownHooks ?? true) app.enableShutdownHooks();
  // Runs the onApplicationBootstrap hooks: the consumers and loops start before the listener does.
  await app.init();
  return app;
}
