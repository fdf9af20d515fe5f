export * from './abis';
export * from './chain-clients';
export * from './eip3009';
export * from './exact-verifier';
export * from './batch-calls';
export * from './eip3009-digest';
export * from './signature-recovery';
export * from './rpc-transport';
