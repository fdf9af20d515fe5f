export * from './settlement-context';
export * from './lane-scheduler';
export * from './batch-submitter';
export * from './batch-tracker';
export * from './row-outcomes';
export * from './sweeper';
export * from './transactions';
export * from './nonce-gaps';
