/**
 * @tollgate/svm: `exact` on Solana behind the scheme seam — transaction decoding, the reference verify's
 * rules with its reason codes, chain reads over Solana JSON-RPC, and {@link ExactSvmMechanism}.
 */
export * from './exact-svm-mechanism';
export * from './exact-svm-rules';
export * from './svm-chain-reader';
export * from './svm-console-reads';
export * from './svm-reasons';
export * from './svm-transaction';
export * from './testing/svm-payment-builder';
export * from './settlement';
