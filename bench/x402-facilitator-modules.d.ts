/**
 * Types for the facilitator half of the official x402 packages, which `bench/reference-facilitator.ts`
 * uses. Same reason as apps/demo/src/x402-modules.d.ts (which declares `@x402/core/facilitator` and the
 * client/server halves): the packages type their subpaths only through package.json `exports`, which this
 * repository's `moduleResolution: "node"` ignores. Types only; at run time Node follows `exports`.
 */
declare module '@x402/evm/exact/facilitator' {
  export * from '@x402/evm/dist/cjs/exact/facilitator/index';
}
