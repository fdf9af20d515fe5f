/**
 * Types of `@x402/svm`'s subpath exports under this repository's `moduleResolution: "node"`, which ignores
 * package.json `exports` (same reason as apps/demo/src/x402-modules.d.ts). Types only: at run time Node
 * and jest follow `exports` as usual.
 */
declare module '@x402/svm/exact/client' {
  export * from '@x402/svm/dist/cjs/exact/client/index';
}
declare module '@x402/svm/exact/facilitator' {
  export * from '@x402/svm/dist/cjs/exact/facilitator/index';
}
