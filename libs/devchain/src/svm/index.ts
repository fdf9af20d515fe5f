export * from './svm-chain';
export * from './svm-devchain';
export * from './svm-rpc-server';
