/**
 * The one list of reason codes Tollgate puts in `invalidReason` (verify) and `errorReason` (settle).
 *
 * Reason codes drift between the spec text and the SDKs. Tollgate emits the `exact` EVM codes of the
 * reference TypeScript and Go facilitators (`mechanisms/evm/src/exact/facilitator/errors.ts`), the
 * spec's generic codes (x402 spec v2 §9), and its own `tollgate_*` codes for what deferred settlement
 * adds. The spec's older spellings of the exact-EVM codes are listed too (source `spec`) so that
 * documentation and clients matching on them find them, but Tollgate does not emit them.
 */
export const ReasonCode = {
  // exact EVM, reference TS/Go facilitator (EIP-3009)
  InvalidExactEvmScheme: 'invalid_exact_evm_scheme',
  InvalidExactEvmNetworkMismatch: 'invalid_exact_evm_network_mismatch',
  InvalidExactEvmMissingEip712Domain: 'invalid_exact_evm_missing_eip712_domain',
  InvalidExactEvmRecipientMismatch: 'invalid_exact_evm_recipient_mismatch',
  InvalidExactEvmSignature: 'invalid_exact_evm_signature',
  InvalidExactEvmValidBefore: 'invalid_exact_evm_payload_authorization_valid_before',
  InvalidExactEvmValidAfter: 'invalid_exact_evm_payload_authorization_valid_after',
  InvalidExactEvmAuthorizationValue: 'invalid_exact_evm_authorization_value',
  InvalidExactEvmUndeployedSmartWallet: 'invalid_exact_evm_payload_undeployed_smart_wallet',
  InvalidExactEvmTransactionFailed: 'invalid_exact_evm_transaction_failed',
  InvalidExactEvmTokenNameMismatch: 'invalid_exact_evm_token_name_mismatch',
  InvalidExactEvmTokenVersionMismatch: 'invalid_exact_evm_token_version_mismatch',
  InvalidExactEvmEip3009NotSupported: 'invalid_exact_evm_eip3009_not_supported',
  InvalidExactEvmNonceAlreadyUsed: 'invalid_exact_evm_nonce_already_used',
  InvalidExactEvmInsufficientBalance: 'invalid_exact_evm_insufficient_balance',
  InvalidExactEvmSimulationFailed: 'invalid_exact_evm_transaction_simulation_failed',
  UnsupportedPayloadType: 'unsupported_payload_type',

  // generic, x402 spec v2 §9 (+ duplicate_settlement from the reference SDKs)
  InvalidPayload: 'invalid_payload',
  InvalidPaymentRequirements: 'invalid_payment_requirements',
  InvalidNetwork: 'invalid_network',
  InvalidScheme: 'invalid_scheme',
  UnsupportedScheme: 'unsupported_scheme',
  InvalidX402Version: 'invalid_x402_version',
  InsufficientFunds: 'insufficient_funds',
  InvalidTransactionState: 'invalid_transaction_state',
  UnexpectedVerifyError: 'unexpected_verify_error',
  UnexpectedSettleError: 'unexpected_settle_error',
  DuplicateSettlement: 'duplicate_settlement',
  SettlementPending: 'settlement_pending',

  // x402 spec v2 §9 spellings of exact-EVM failures; the SDKs renamed them (listed, not emitted)
  SpecExactEvmValueMismatch: 'invalid_exact_evm_payload_authorization_value_mismatch',
  SpecExactEvmSignature: 'invalid_exact_evm_payload_signature',
  SpecExactEvmRecipientMismatch: 'invalid_exact_evm_payload_recipient_mismatch',

  // Tollgate (deferred settlement)
  TollgateAuthorizationAlreadySettled: 'tollgate_authorization_already_settled',
  TollgateExposureExceeded: 'tollgate_exposure_exceeded',
  TollgateValidBeforeWithinSettlementWindow: 'tollgate_valid_before_within_settlement_window',
  TollgatePayToNotOwned: 'tollgate_pay_to_not_owned',
  TollgateAssetNotSupported: 'tollgate_asset_not_supported',
  TollgateAuthorizationCancelled: 'tollgate_authorization_cancelled',
  TollgateSettlementTimeout: 'tollgate_settlement_timeout',
  TollgatePaymentIdentifierConflict: 'tollgate_payment_identifier_conflict',
  TollgateAuthorizationUsedElsewhere: 'tollgate_authorization_used_elsewhere',
  TollgateRowNotExecuted: 'tollgate_row_not_executed',
  TollgateNeverSettled: 'tollgate_never_settled',
  TollgateVoided: 'tollgate_voided',
  TollgateRateLimited: 'tollgate_rate_limited',
  TollgateBlockhashExpired: 'tollgate_blockhash_expired',
} as const;

/** Any reason code Tollgate knows (a string literal union of {@link ReasonCode}'s values). */
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/**
 * Where a code comes from: `exact-evm` (reference TS/Go exact-EVM facilitator), `generic` (spec §9 /
 * reference SDKs, emitted by Tollgate), `spec` (spec spelling, documented but never emitted),
 * `tollgate` (Tollgate's own).
 */
export type ReasonSource = 'exact-evm' | 'generic' | 'spec' | 'tollgate';

/** Documentation for one reason code. */
export interface ReasonInfo {
  /** One line, human, present tense; goes into README and API docs as is. */
  description: string;
  source: ReasonSource;
}

/**
 * Description and origin of every reason code, keyed by code. The mapped type makes a code without
 * an entry a compile error, so this table and {@link ReasonCode} cannot drift apart.
 */
export const REASON_CODES: { readonly [C in ReasonCode]: ReasonInfo } = {
  invalid_exact_evm_scheme: {
    source: 'exact-evm',
    description: 'The payload or the requirements do not use the `exact` scheme.',
  },
  invalid_exact_evm_network_mismatch: {
    source: 'exact-evm',
    description: 'The network the payload was signed for differs from the requirements network.',
  },
  invalid_exact_evm_missing_eip712_domain: {
    source: 'exact-evm',
    description: 'The requirements `extra` lacks the token EIP-712 domain `name` or `version`.',
  },
  invalid_exact_evm_recipient_mismatch: {
    source: 'exact-evm',
    description: 'The authorization `to` is not the requirements `payTo`.',
  },
  invalid_exact_evm_signature: {
    source: 'exact-evm',
    description: 'The EIP-712 signature does not recover to (or is not accepted by) the authorization `from`.',
  },
  invalid_exact_evm_payload_authorization_valid_before: {
    source: 'exact-evm',
    description: 'The authorization has expired or expires within the block-time buffer (`validBefore`).',
  },
  invalid_exact_evm_payload_authorization_valid_after: {
    source: 'exact-evm',
    description: 'The authorization is not valid yet (`validAfter` is in the future).',
  },
  invalid_exact_evm_authorization_value: {
    source: 'exact-evm',
    description: 'The authorization `value` is not exactly the required amount.',
  },
  invalid_exact_evm_payload_undeployed_smart_wallet: {
    source: 'exact-evm',
    description: 'The payer is a smart wallet that is not deployed and the signature carries no ERC-6492 deployment data.',
  },
  invalid_exact_evm_transaction_failed: {
    source: 'exact-evm',
    description: 'The settlement transaction was mined but the transfer reverted.',
  },
  invalid_exact_evm_token_name_mismatch: {
    source: 'exact-evm',
    description: 'The `extra.name` signed over is not the token contract EIP-712 name.',
  },
  invalid_exact_evm_token_version_mismatch: {
    source: 'exact-evm',
    description: 'The `extra.version` signed over is not the token contract EIP-712 version.',
  },
  invalid_exact_evm_eip3009_not_supported: {
    source: 'exact-evm',
    description: 'The asset contract does not implement EIP-3009 `transferWithAuthorization`.',
  },
  invalid_exact_evm_nonce_already_used: {
    source: 'exact-evm',
    description: 'The token reports this authorization nonce as already used or cancelled.',
  },
  invalid_exact_evm_insufficient_balance: {
    source: 'exact-evm',
    description: 'The payer token balance is below the authorization value.',
  },
  invalid_exact_evm_transaction_simulation_failed: {
    source: 'exact-evm',
    description: 'Simulating `transferWithAuthorization` failed for a reason no specific check explains.',
  },
  unsupported_payload_type: {
    source: 'exact-evm',
    description: 'The `exact` payload is not an EIP-3009 authorization (e.g. Permit2 or ERC-7710), which Tollgate does not settle.',
  },
  invalid_payload: {
    source: 'generic',
    description: 'The payment payload is malformed or contains invalid data.',
  },
  invalid_payment_requirements: {
    source: 'generic',
    description: 'The payment requirements object is invalid or malformed.',
  },
  invalid_network: {
    source: 'generic',
    description: 'The network is not one this facilitator serves.',
  },
  invalid_scheme: {
    source: 'generic',
    description: 'The payment scheme is not valid (spec §9; Tollgate answers `unsupported_scheme`).',
  },
  unsupported_scheme: {
    source: 'generic',
    description: 'The payment scheme is not supported by this facilitator (only `exact` is).',
  },
  invalid_x402_version: {
    source: 'generic',
    description: 'The x402 version is not 1 or 2, or the request and payload versions disagree.',
  },
  insufficient_funds: {
    source: 'generic',
    description: 'The payer does not hold enough tokens (spec §9; Tollgate answers `invalid_exact_evm_insufficient_balance`).',
  },
  invalid_transaction_state: {
    source: 'generic',
    description: 'The blockchain transaction failed or was rejected.',
  },
  unexpected_verify_error: {
    source: 'generic',
    description: 'An unexpected error occurred during verification; retrying may succeed.',
  },
  unexpected_settle_error: {
    source: 'generic',
    description: 'An unexpected error occurred during settlement; retrying may succeed.',
  },
  duplicate_settlement: {
    source: 'generic',
    description:
      'This authorization is already being settled through Tollgate under a different request (another merchant, requirements or payload); an identical repeat answers success instead.',
  },
  settlement_pending: {
    source: 'generic',
    description:
      'Confirmed mode: the transaction is broadcast (`transaction` holds its hash) but not yet included; the official resource server retries the identical settle once, and Tollgate then resumes the wait.',
  },
  invalid_exact_evm_payload_authorization_value_mismatch: {
    source: 'spec',
    description: 'Spec spelling of a value mismatch; Tollgate emits `invalid_exact_evm_authorization_value`.',
  },
  invalid_exact_evm_payload_signature: {
    source: 'spec',
    description: 'Spec spelling of a bad signature; Tollgate emits `invalid_exact_evm_signature`.',
  },
  invalid_exact_evm_payload_recipient_mismatch: {
    source: 'spec',
    description: 'Spec spelling of a recipient mismatch; Tollgate emits `invalid_exact_evm_recipient_mismatch`.',
  },
  tollgate_authorization_already_settled: {
    source: 'tollgate',
    description: 'This authorization is already queued or settled through Tollgate.',
  },
  tollgate_exposure_exceeded: {
    source: 'tollgate',
    description: 'The payer unsettled accepted total plus this value exceeds the on-chain balance.',
  },
  tollgate_valid_before_within_settlement_window: {
    source: 'tollgate',
    description: 'The authorization expires (`validBefore`) before the settlement queue can settle it.',
  },
  tollgate_pay_to_not_owned: {
    source: 'tollgate',
    description: 'The `payTo` address belongs to no address of the calling merchant.',
  },
  tollgate_asset_not_supported: {
    source: 'tollgate',
    description: 'The asset is not in the registry for that network.',
  },
  tollgate_authorization_cancelled: {
    source: 'tollgate',
    description: 'The payer cancelled the authorization on-chain (`cancelAuthorization`) before it settled.',
  },
  tollgate_settlement_timeout: {
    source: 'tollgate',
    description: 'The confirmed-mode wait ran out; the payment is still pending and keeps its reference.',
  },
  tollgate_payment_identifier_conflict: {
    source: 'tollgate',
    description: 'The `payment-identifier` id was already used with a different payment payload.',
  },
  tollgate_authorization_used_elsewhere: {
    source: 'tollgate',
    description: 'Another transaction (not Tollgate) settled this authorization first; the failure names it.',
  },
  tollgate_row_not_executed: {
    source: 'tollgate',
    description: 'The row did not execute in its batch (gas starvation or a reverted batch) and kept failing on retry.',
  },
  tollgate_never_settled: {
    source: 'tollgate',
    description: 'Verified but never settled before `validBefore` passed (the payment lapsed).',
  },
  tollgate_voided: {
    source: 'tollgate',
    description: 'An operator voided the payment before it was broadcast; the failure message carries their reason.',
  },
  tollgate_rate_limited: {
    source: 'tollgate',
    description: 'The merchant exceeded its `/verify` + `/settle` requests per second (HTTP 429; retry after `Retry-After` seconds).',
  },
  tollgate_blockhash_expired: {
    source: 'tollgate',
    description: 'Solana: the payment transaction never landed before its blockhash expired; it can never land now, and nothing moved.',
  },
};

const KNOWN = new Set<string>(Object.values(ReasonCode));

/** True when `value` is one of Tollgate's reason codes. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Every reason code with its documentation, in declaration order (for README / OpenAPI generation). */
export function listReasonCodes(): Array<{ code: ReasonCode } & ReasonInfo> {
  return Object.values(ReasonCode).map((code) => ({ code, ...REASON_CODES[code] }));
}
