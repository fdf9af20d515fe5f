/**
 * `@tollgate/protocol`: the x402 wire layer. Pure: no I/O, no NestJS, no clock.
 *
 * - types: v1/v2 wire types and the version-independent `NormalizedPayment`.
 * - schemas: zod schemas of the wire types; request-parser: `parseFacilitatorRequest` (malformed / unsupported / ok).
 * - payloads: the scheme payload parser of each chain family (`eip155`, …).
 * - mechanism: the scheme seam (`SchemeMechanism`, `MechanismRegistry`) every chain family implements.
 * - codecs: strict base64 JSON header codec and header names.
 * - networks, assets: registries (v1 name ↔ CAIP-2, EIP-712 token domains) and money formatting.
 * - directory: the served networks and tokens of one deployment, built from its configuration.
 * - reason-codes: the one list of reason codes with descriptions.
 * - responses: builders for verify/settle answers.
 */
export * from './errors';
export * from './types';
export * from './reason-codes';
export * from './networks';
export * from './assets';
export * from './directory';
export * from './codecs';
export * from './schemas';
export * from './request-parser';
export * from './payloads';
export * from './mechanism';
export * from './responses';
