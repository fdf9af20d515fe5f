export * from './worker-metrics.repository';
