export * from './abis';
export * from './chain-clients';
export * from './eip3009';
export * from './exact-verifier';
export * from './batch-calls';
