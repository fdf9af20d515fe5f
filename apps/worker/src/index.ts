/**
 * The worker app's public entry for whoever runs it in-process (the demo, tests): the workers, their
 * health/metrics listener and their log options. Other apps import the worker only through this file
 * (test/architecture.spec.ts); `main.ts` is the process entry point.
 */
export { SettlementWorker } from './settlement-worker';
export { SvmSettlementWorker } from './svm-settlement-worker';
export { WebhookWorker } from './webhook-worker';
export { OperatorActionWorker } from './operator-action-worker';
export { startWorkerHttp, WorkerMetrics, type WorkerHttp } from './worker-metrics';
export { workerPinoOptions } from './worker-logger';
