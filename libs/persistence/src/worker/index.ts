export * from './worker-metrics.repository';
export * from './worker-heartbeats.repository';
