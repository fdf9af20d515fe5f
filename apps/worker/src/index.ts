/**
 * The worker app's public entry for whoever runs it in-process (the demo, tests): the workers, the whole
 * worker as a Nest app, its health/metrics listener and its log options. Other apps import the worker only
 * through this file (test/architecture.spec.ts); `main.ts` is the process entry point.
 */
export { SettlementWorker } from './settlement-worker';
export { SvmSettlementWorker } from './svm-settlement-worker';
export { WebhookWorker } from './webhook-worker';
export { OperatorActionWorker } from './operator-action-worker';
export { WorkerMetrics } from './worker-metrics';
export { listenWorkerHttp, startWorkerHttp, type WorkerHttp } from './worker-http';
export { createWorkerApp } from './bootstrap';
export { WorkerModule } from './worker.module';
export { workerPinoOptions } from './worker-logging';
