/**
 * Scheme payload parsers, one per chain family: the wire formats of `paymentPayload.payload`,
 * `paymentRequirements.asset` and `payTo` that only make sense once the network's family is known.
 * The request parser (request-parser.ts) picks the parser by the CAIP-2 namespace of the served network;
 * a new chain family adds its parser to {@link PAYLOAD_PARSERS}.
 */
import { AddressSchema, ExactEvmPayloadSchema, ExactSvmPayloadSchema, MAX_SVM_TRANSACTION_BASE64, SolanaAddressSchema } from './schemas';
import { check, isObject, malformed, type Checked, type JsonObject } from './parse-support';
import { ReasonCode } from './reason-codes';
import type { SchemePayload } from './types';

/** The family-independent part of a request a payload parser reads. */
export interface PayloadParserInput {
  asset: string;
  payTo: string;
  payload: JsonObject;
  /** v2 `paymentPayload.accepted` when it names a network of this family (its addresses are checked too). */
  accepted: { asset: string; payTo: string; network: string } | undefined;
}

/** What a payload parser returns: the family's formats checked, or why the payload is not served. */
export type PayloadParse =
  | Checked<{ asset: string; payTo: string; payer?: string; payload: SchemePayload }>
  | { ok: false; unsupported: { reason: ReasonCode; message: string } };

/** The wire formats of one chain family under `exact`. */
export interface SchemePayloadParser {
  /** CAIP-2 namespace (`eip155`). */
  readonly namespace: string;
  /** Whether `network` is a well-formed CAIP-2 id of this family (registered or not). */
  isNetworkId(network: string): boolean;
  /** The payer a raw payload names when readable (for refusals); no other validation. */
  payerOf(payload: unknown): string | undefined;
  /** Checks the family's formats and builds the scheme payload. Never throws. */
  parse(input: PayloadParserInput): PayloadParse;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const EIP155_NETWORK_RE = /^eip155:[1-9][0-9]{0,15}$/;

/** Payload shapes of `exact` EVM other than EIP-3009 (scheme_exact_evm.md §2, §3). */
function otherExactPayloadType(payload: JsonObject): string | undefined {
  if (payload.authorization !== undefined) return undefined;
  if (payload.permit2Authorization !== undefined) return 'Permit2';
  if (payload.delegationManager !== undefined || payload.permissionContext !== undefined) return 'ERC-7710';
  return undefined;
}

/** `exact` on EVM with EIP-3009 authorizations (scheme_exact_evm.md §1). */
export const exactEvmPayloadParser: SchemePayloadParser = {
  namespace: 'eip155',
  isNetworkId: (network) => EIP155_NETWORK_RE.test(network),
  payerOf(payload) {
    if (!isObject(payload) || !isObject(payload.authorization)) return undefined;
    const from = payload.authorization.from;
    return typeof from === 'string' && ADDRESS_RE.test(from) ? from : undefined;
  },
  parse({ asset, payTo, payload, accepted }) {
    const a = check(AddressSchema, asset, 'paymentRequirements.asset');
    if (!a.ok) return a;
    const p = check(AddressSchema, payTo, 'paymentRequirements.payTo');
    if (!p.ok) return p;
    // `accepted` is only echoed, but an EVM echo with a non-address in it is a mangled payload.
    if (accepted) {
      const aa = check(AddressSchema, accepted.asset, 'paymentPayload.accepted.asset');
      if (!aa.ok) return aa;
      const ap = check(AddressSchema, accepted.payTo, 'paymentPayload.accepted.payTo');
      if (!ap.ok) return ap;
    }
    const other = otherExactPayloadType(payload);
    if (other !== undefined) {
      return {
        ok: false,
        unsupported: { reason: ReasonCode.UnsupportedPayloadType, message: `${other} payloads are not supported; Tollgate settles EIP-3009 authorizations only` },
      };
    }
    const parsed = check(ExactEvmPayloadSchema, payload, 'paymentPayload.payload');
    if (!parsed.ok) return parsed;
    const { signature, authorization: x } = parsed.value;
    return {
      ok: true,
      value: {
        asset: a.value,
        payTo: p.value,
        payer: x.from,
        payload: {
          family: 'eip155',
          signature,
          authorization: {
            from: x.from,
            to: x.to,
            value: BigInt(x.value),
            validAfter: BigInt(x.validAfter),
            validBefore: BigInt(x.validBefore),
            nonce: x.nonce,
          },
        },
      },
    };
  },
};

const SOLANA_NETWORK_RE = /^solana:[1-9A-HJ-NP-Za-km-z]{32}$/;

/** `exact` on Solana (scheme_exact_svm.md): `{transaction: base64}`; the transaction is decoded by the mechanism. */
export const exactSvmPayloadParser: SchemePayloadParser = {
  namespace: 'solana',
  isNetworkId: (network) => SOLANA_NETWORK_RE.test(network),
  // The payer is the transfer's authority inside the transaction, which only the mechanism decodes.
  payerOf: () => undefined,
  parse({ asset, payTo, payload, accepted }) {
    const fields: Array<[string, string]> = [
      ['paymentRequirements.asset', asset],
      ['paymentRequirements.payTo', payTo],
      ...(accepted
        ? ([
            ['paymentPayload.accepted.asset', accepted.asset],
            ['paymentPayload.accepted.payTo', accepted.payTo],
          ] as Array<[string, string]>)
        : []),
    ];
    for (const [field, value] of fields) {
      if (!SolanaAddressSchema.safeParse(value).success) return { ok: false, error: malformed(field, 'expected a Solana address (base58, 32 bytes)') };
    }
    // The schema is the one the OpenAPI document shows; the message is this parser's own.
    const tx = ExactSvmPayloadSchema.shape.transaction.safeParse(payload.transaction);
    if (!tx.success) {
      return {
        ok: false,
        error: malformed('paymentPayload.payload.transaction', `expected a base64 Solana transaction of at most ${MAX_SVM_TRANSACTION_BASE64} characters`),
      };
    }
    return { ok: true, value: { asset, payTo, payload: { family: 'solana', transaction: tx.data } } };
  },
};

/** Every family's payload parser, by CAIP-2 namespace. */
export const PAYLOAD_PARSERS: ReadonlyMap<string, SchemePayloadParser> = new Map(
  [exactEvmPayloadParser, exactSvmPayloadParser].map((p) => [p.namespace, p]),
);
