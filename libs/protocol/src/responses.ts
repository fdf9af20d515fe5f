/**
 * Builders for facilitator answers (x402 spec v2 §5.3, §5.4, §7). They return spec-exact objects:
 * absent optional keys are omitted (never `undefined` or `null`), because some clients validate
 * strictly and `JSON.stringify` of an `undefined` key differs between serialisers.
 */
import type { Extensions, SettleResponse, VerifyResponse } from './types';

/**
 * A passing verification: `{isValid: true, payer, extensions?}`.
 * @param payer the authorization `from` address.
 */
export function verifyValid(payer: string, extensions?: Extensions): VerifyResponse {
  const r: VerifyResponse = { isValid: true, payer };
  if (extensions !== undefined) r.extensions = extensions;
  return r;
}

/**
 * A failed verification: `{isValid: false, invalidReason, invalidMessage, payer?}`. Sent with HTTP 200.
 * @param reason a reason code of reason-codes.ts.
 * @param message one human sentence; clients show it, so it names the field and the expectation.
 */
export function verifyInvalid(reason: string, message: string, payer?: string, extensions?: Extensions): VerifyResponse {
  const r: VerifyResponse = { isValid: false, invalidReason: reason, invalidMessage: message };
  if (payer !== undefined) r.payer = payer;
  if (extensions !== undefined) r.extensions = extensions;
  return r;
}

/** Arguments of {@link settleSuccess}. */
export interface SettleSuccessArgs {
  payer: string;
  /** Transaction hash; `""` while the payment waits in Tollgate's queue (deferred mode). */
  transaction: string;
  /** Network in the request's version format (v1 name for v1, CAIP-2 for v2; see `wireNetwork`). */
  network: string;
  /** Settled amount in atomic units; serialised as a decimal string. */
  amount?: bigint | string;
  /** e.g. Tollgate's per-payment reference and queue status. */
  extensions?: Extensions;
}

/** A successful settlement: `{success: true, payer, transaction, network, amount?, extensions?}`. */
export function settleSuccess(args: SettleSuccessArgs): SettleResponse {
  const r: SettleResponse = { success: true, payer: args.payer, transaction: args.transaction, network: args.network };
  if (args.amount !== undefined) r.amount = args.amount.toString();
  if (args.extensions !== undefined) r.extensions = args.extensions;
  return r;
}

/** Arguments of {@link settleFailure}. */
export interface SettleFailureArgs {
  /** A reason code of reason-codes.ts (a failed payment's as recorded). */
  reason: string;
  message: string;
  /** Network in the request's version format; required by the spec even on failure. */
  network: string;
  payer?: string;
  /** Hash of a mined-but-reverted transaction; `""` (the default) when nothing was mined. */
  transaction?: string;
  extensions?: Extensions;
}

/** A failed settlement: `{success: false, errorReason, errorMessage, payer?, transaction, network, extensions?}`. */
export function settleFailure(args: SettleFailureArgs): SettleResponse {
  // Key order follows the spec example (success, errorReason, payer, transaction, network).
  const r: SettleResponse = {
    success: false,
    errorReason: args.reason,
    errorMessage: args.message,
    ...(args.payer !== undefined ? { payer: args.payer } : {}),
    transaction: args.transaction ?? '',
    network: args.network,
  };
  if (args.extensions !== undefined) r.extensions = args.extensions;
  return r;
}
