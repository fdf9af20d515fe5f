/**
 * @tollgate/devchain: a local EVM chain for development and tests.
 *
 * Contracts (USDC-like EIP-3009 token, Multicall3, ERC-1271 test wallet) and
 * their committed artifacts, an embedded anvil launcher, the fixture
 * deployment, and the deployment file other processes read.
 */
export * from './anvil';
export * from './artifacts';
export * from './chain';
export * from './constants';
export * from './deploy';
export * from './deployment-file';
export * from './devchain';
export * from './devchain-config';
export * from './svm';
