import { SvmReason } from '../svm-reasons';

/** The transfer is instruction 2 of every payment transaction (exact scheme); Token's InsufficientFunds is custom error 1. */
const TRANSFER_INDEX = 2;
const TOKEN_INSUFFICIENT_FUNDS = 1;

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/**
 * The payment failure reason for a landed transaction's error (Solana's JSON form, as
 * `getSignatureStatuses` reports it): the payer lacking the tokens is `insufficient_funds`; anything else
 * is the reference settle's `invalid_exact_svm_transaction_failed`. The message carries the chain's error.
 */
export function failureOfLanded(err: unknown): { reason: string; message: string } {
  const ie = (err as { InstructionError?: [number, unknown] } | null)?.InstructionError;
  if (ie && Number(ie[0]) === TRANSFER_INDEX && Number((ie[1] as { Custom?: unknown })?.Custom) === TOKEN_INSUFFICIENT_FUNDS) {
    return { reason: SvmReason.InsufficientFunds, message: `the payer no longer holds the amount: ${json(err)}` };
  }
  return { reason: SvmReason.TransactionFailed, message: `the transaction failed on chain: ${json(err)}` };
}
