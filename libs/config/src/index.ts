export * from './config.schema';
export { ConfigError } from './config-values';
export type { AssetConfig, NetworkConfig } from './network-config';
export * from './worker-config';
export * from './config.module';
export * from './log-destination';
export * from './svm-networks';
export type { OperatorAlertsConfig } from './operator-alerts';
export * from './svm-fee-payer-keys';
