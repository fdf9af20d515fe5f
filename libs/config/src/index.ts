export * from './config.schema';
export * from './config.module';
export * from './log-destination';
export * from './svm-networks';
export * from './svm-fee-payer-keys';
