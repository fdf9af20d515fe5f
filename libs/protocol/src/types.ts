/**
 * x402 wire types, v1 and v2, as they travel in JSON (every big integer is a decimal string), plus
 * the version-independent {@link NormalizedPayment} the rest of Tollgate works with.
 *
 * Sources: x402 spec v1 §5 and v2 §5/§7 (`specs/x402-specification-v{1,2}.md`), `exact` on EVM
 * (`specs/schemes/exact/scheme_exact_evm.md`), and the reference TypeScript SDK types where the spec
 * tables are silent (`invalidMessage`, `errorMessage`, `extensions` on responses).
 */

/** A `0x`-prefixed hex string (signature, nonce, transaction hash). */
export type Hex = `0x${string}`;

/** An EVM address: `0x` + 40 hex digits, any case (checksum is checked later, not on the wire). */
export type HexAddress = `0x${string}`;

/** A CAIP-2 EVM network id such as `eip155:8453`. */
export type Caip2Network = `eip155:${number}`;

/** Any CAIP-2 network id (`eip155:8453`, `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp`). */
export type NetworkId = `${string}:${string}`;

/** Extension data keyed by extension id (v2 §5.1.2: each value is `{info, schema}` by convention). */
export type Extensions = Record<string, unknown>;

/** Describes the paid resource (v2 §5.1.2 `ResourceInfo`). Unknown keys are kept. */
export interface ResourceInfo {
  url: string;
  description?: string;
  mimeType?: string;
  [key: string]: unknown;
}

/**
 * One acceptable way to pay, v1 (spec v1 §5.1.2). `network` is a v1 name such as `base-sepolia`.
 * `maxAmountRequired` is a decimal string of atomic units; `maxTimeoutSeconds` is seconds.
 * `description` and `mimeType` are optional here although the v1 table marks `description` required:
 * the Python SDK drops them when empty, and refusing such requests would break paying clients.
 */
export interface PaymentRequirementsV1 {
  scheme: string;
  network: string;
  maxAmountRequired: string;
  resource: string;
  description?: string;
  mimeType?: string;
  outputSchema?: Record<string, unknown>;
  payTo: string;
  maxTimeoutSeconds: number;
  asset: string;
  extra?: Record<string, unknown>;
}

/**
 * One acceptable way to pay, v2 (spec v2 §5.1.2). `network` is CAIP-2; `amount` is a decimal string
 * of atomic units; `maxTimeoutSeconds` is seconds. For `exact` on EVM, `extra` carries the EIP-712
 * domain `name` and `version` of the token.
 */
export interface PaymentRequirementsV2 {
  scheme: string;
  network: string;
  asset: string;
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
}

/** Either version of payment requirements. */
export type PaymentRequirements = PaymentRequirementsV1 | PaymentRequirementsV2;

/** v1 signed payment (spec v1 §5.2). Carried base64-encoded in the `X-PAYMENT` header. */
export interface PaymentPayloadV1 {
  x402Version: 1;
  scheme: string;
  network: string;
  payload: Record<string, unknown>;
}

/**
 * v2 signed payment (spec v2 §5.2). Carried base64-encoded in the `PAYMENT-SIGNATURE` header.
 * `accepted` is the client's copy of the requirements it chose; the facilitator checks the signed
 * data against the resource server's own `paymentRequirements`, not against `accepted`.
 */
export interface PaymentPayloadV2 {
  x402Version: 2;
  resource?: ResourceInfo;
  accepted: PaymentRequirementsV2;
  payload: Record<string, unknown>;
  extensions?: Extensions;
}

/** Either version of payment payload. */
export type PaymentPayload = PaymentPayloadV1 | PaymentPayloadV2;

/** EIP-3009 `TransferWithAuthorization` parameters; integers as decimal strings (atomic units / unix seconds). */
export interface ExactEvmAuthorization {
  from: HexAddress;
  to: HexAddress;
  /** Atomic units, decimal string. */
  value: string;
  /** Unix seconds, decimal string. */
  validAfter: string;
  /** Unix seconds, decimal string. */
  validBefore: string;
  /** 32 bytes: `0x` + 64 hex. */
  nonce: Hex;
}

/** The `payload` of an `exact` EVM payment using EIP-3009 (scheme_exact_evm.md §1). */
export interface ExactEvmPayload {
  /** EIP-712 signature; 65 bytes for an EOA, longer for ERC-1271 / ERC-6492 smart wallets. */
  signature: Hex;
  authorization: ExactEvmAuthorization;
}

/** `POST /verify` body, v1 (spec v1 §7.1). */
export interface VerifyRequestV1 {
  x402Version: 1;
  paymentPayload: PaymentPayloadV1;
  paymentRequirements: PaymentRequirementsV1;
}

/** `POST /verify` body, v2 (spec v2 §7.1). */
export interface VerifyRequestV2 {
  x402Version: 2;
  paymentPayload: PaymentPayloadV2;
  paymentRequirements: PaymentRequirementsV2;
}

/** `POST /verify` body, either version. */
export type VerifyRequest = VerifyRequestV1 | VerifyRequestV2;

/** `POST /settle` body: same shape as verify (spec v2 §7.2). */
export type SettleRequest = VerifyRequest;

/**
 * `POST /verify` answer (spec v2 §5.4; `invalidMessage` and `extensions` from the reference SDK).
 * Always sent with HTTP 200, valid or not. Absent optional keys are omitted, never `null`.
 */
export interface VerifyResponse {
  isValid: boolean;
  invalidReason?: string;
  invalidMessage?: string;
  payer?: string;
  extensions?: Extensions;
}

/**
 * `POST /settle` answer (spec v2 §5.3). `transaction` is required and is `""` when nothing was
 * mined yet (failure, or Tollgate's deferred mode). `network` echoes the request's network in the
 * request's own version format. `amount` is a decimal string of atomic units.
 */
export interface SettleResponse {
  success: boolean;
  errorReason?: string;
  errorMessage?: string;
  payer?: string;
  transaction: string;
  network: string;
  amount?: string;
  extensions?: Extensions;
}

/** One `(x402Version, scheme, network)` the facilitator serves (spec v2 §7.3.1). */
export interface SupportedKind {
  x402Version: number;
  scheme: string;
  /** CAIP-2 for v2 kinds, v1 name for v1 kinds. */
  network: string;
  extra?: Record<string, unknown>;
}

/** `GET /supported` answer (spec v2 §7.3). `signers` maps CAIP-2 patterns (`eip155:*`) to addresses. */
export interface SupportedResponse {
  kinds: SupportedKind[];
  extensions: string[];
  signers: Record<string, string[]>;
}

/** v1 402 body (spec v1 §5.1; `error` is optional in the reference SDK, so it is here). */
export interface PaymentRequiredV1 {
  x402Version: 1;
  error?: string;
  accepts: PaymentRequirementsV1[];
}

/** v2 402 challenge, base64-encoded in the `PAYMENT-REQUIRED` header (spec v2 §5.1). */
export interface PaymentRequiredV2 {
  x402Version: 2;
  error?: string;
  resource: ResourceInfo;
  accepts: PaymentRequirementsV2[];
  extensions?: Extensions;
}

/** Either version of the 402 challenge. */
export type PaymentRequired = PaymentRequiredV1 | PaymentRequiredV2;

/**
 * A verify/settle request after parsing, identical for v1 and v2. All integers are `bigint`
 * (atomic units or unix seconds); addresses are as given (compare checksum-insensitively).
 */
export interface NormalizedPayment {
  /** Protocol version the request arrived in; answers must use the same version's conventions. */
  x402Version: 1 | 2;
  /** From the resource server's requirements. */
  scheme: string;
  /** Always CAIP-2; v1 names are mapped through the network registry. */
  network: NetworkId;
  /** What the payload claims (v1: `paymentPayload.scheme`; v2: `paymentPayload.accepted.scheme`), raw. */
  payloadScheme: string;
  /** What the payload claims (v1: `paymentPayload.network`; v2: `paymentPayload.accepted.network`), raw. */
  payloadNetwork: string;
  /** Token (EVM contract address, Solana mint), as given. */
  asset: string;
  /** Required amount in atomic units (v1 `maxAmountRequired`, v2 `amount`). */
  amount: bigint;
  /** Recipient, as given. */
  payTo: string;
  /** Seconds. */
  maxTimeoutSeconds: number;
  /** Requirements `extra` (EIP-712 `name`/`version` for `exact`); `{}` when absent. */
  extra: Record<string, unknown>;
  /** v2 `extensions["payment-identifier"].info.id`, the client's idempotency key, when present. */
  paymentIdentifier?: string;
  /** Resource URL (v1 `paymentRequirements.resource`, v2 `paymentPayload.resource.url`), when present. */
  resource?: string;
  /**
   * Who pays, as the scheme payload names it (EVM: `authorization.from`); what refusals report as `payer`.
   * Undefined when the payload does not name one readably.
   */
  payer?: string;
  /** The scheme payload, parsed by the payload parser of the network's family (see payloads.ts). */
  payload: SchemePayload;
}

/** `exact` on EVM with EIP-3009 (scheme_exact_evm.md §1), integers as `bigint`. */
export interface ExactEvmSchemePayload {
  family: 'eip155';
  signature: Hex;
  authorization: {
    from: HexAddress;
    to: HexAddress;
    /** Atomic units. */
    value: bigint;
    /** Unix seconds. */
    validAfter: bigint;
    /** Unix seconds. */
    validBefore: bigint;
    nonce: Hex;
  };
}

/**
 * `exact` on Solana (scheme_exact_svm.md): a partially signed v0 transaction (payer signed, fee-payer slot
 * empty), base64 of its wire bytes. Decoded and checked by the SVM mechanism, not by the parser.
 */
export interface ExactSvmSchemePayload {
  family: 'solana';
  /** Base64 wire transaction. */
  transaction: string;
}

/** Every scheme payload Tollgate parses, told apart by `family` (the CAIP-2 namespace). */
export type SchemePayload = ExactEvmSchemePayload | ExactSvmSchemePayload;
