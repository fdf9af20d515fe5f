import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadWorkerConfigOrExit } from '@tollgate/config';
import { assertEveryJobHandledOnce } from '@tollgate/queue';
import { OperatorActionWorker } from './operator-action-worker';
import { SettlementWorker } from './settlement-worker';
import { SvmSettlementWorker } from './svm-settlement-worker';
import { WebhookWorker } from './webhook-worker';
import { useJsonLogs } from './worker-logger';
import { startWorkerHttp, WorkerMetrics } from './worker-metrics';

async function main(): Promise<void> {
  const config = loadWorkerConfigOrExit();
  if (config.networks.length === 0) {
    process.stderr.write('No networks configured: run `npm run devchain` (writes DEVCHAIN_FILE) or set NETWORKS.\n');
    process.exit(78);
  }
  useJsonLogs(config);
  const logger = new Logger('worker');
  const metrics = new WorkerMetrics();
  const worker = await SettlementWorker.start(config, { observer: metrics.observer() });
  metrics.attach(worker.ctx.dataSource, worker.ctx.queues);
  logger.log(`settlement worker started for ${config.networks.map((n) => n.network).join(', ')}`);
  // Solana settles beside EVM, only where a Solana network is configured (the EVM lanes never see `solana:` ones).
  const svm = config.solanaNetworks ? await SvmSettlementWorker.start(config) : undefined;
  if (svm) {
    metrics.attachFeePayers(() => svm.balances);
    logger.log(`Solana settlement worker started for ${config.solanaNetworks!.map((n) => n.network).join(', ')}`);
  }
  const webhooks = await WebhookWorker.start(config, { onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }) });
  logger.log('webhook worker started');
  const operatorActions = await OperatorActionWorker.start(config);
  logger.log('operator-action worker started');
  // Every job of the catalogue has exactly one handler in this process, or it refuses to run.
  assertEveryJobHandledOnce([worker.handledJobs, webhooks.handledJobs, operatorActions.handledJobs]);
  const http = await startWorkerHttp({ config, metrics, dataSource: worker.ctx.dataSource, queues: worker.ctx.queues, chains: worker.ctx.chains });
  logger.log(`health and metrics on http://${config.worker.metricsHost}:${http.port} (/health, /health/ready, /metrics)`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing active jobs`);
    Promise.all([http.close(), worker.stop(), svm?.stop(), webhooks.stop(), operatorActions.stop()]).then(
      () => process.exit(0),
      (e) => {
        logger.error(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`worker failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
