/**
 * The reason codes of `exact` on Solana, spelled as `@x402/svm` 2.27 answers them (the reference
 * facilitator's `invalidReason`), so official resource servers and clients see the codes they know.
 */
export const SvmReason = {
  UnsupportedScheme: 'invalid_exact_svm_unsupported_scheme',
  NetworkMismatch: 'invalid_exact_svm_network_mismatch',
  MissingFeePayer: 'invalid_exact_svm_payload_missing_fee_payer',
  FeePayerNotManaged: 'invalid_exact_svm_fee_payer_not_managed_by_facilitator',
  CouldNotBeDecoded: 'invalid_exact_svm_payload_transaction_could_not_be_decoded',
  ExcessiveSigners: 'invalid_exact_svm_payload_excessive_signers',
  FeePayerMismatch: 'invalid_exact_svm_fee_payer_mismatch',
  SignatureInvalid: 'invalid_exact_svm_payload_signature_invalid',
  InstructionsLength: 'invalid_exact_svm_payload_transaction_instructions_length',
  ComputeLimit: 'invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction',
  ComputeLimitTooHigh: 'invalid_exact_svm_payload_transaction_instructions_compute_limit_instruction_too_high',
  ComputePrice: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction',
  ComputePriceTooHigh: 'invalid_exact_svm_payload_transaction_instructions_compute_price_instruction_too_high',
  NoTransfer: 'invalid_exact_svm_payload_no_transfer_instruction',
  FeePayerTransferring: 'invalid_exact_svm_payload_transaction_fee_payer_transferring_funds',
  MintMismatch: 'invalid_exact_svm_payload_mint_mismatch',
  RecipientMismatch: 'invalid_exact_svm_payload_recipient_mismatch',
  AmountMismatch: 'invalid_exact_svm_payload_amount_mismatch',
  UnknownFourth: 'invalid_exact_svm_payload_unknown_fourth_instruction',
  UnknownFifth: 'invalid_exact_svm_payload_unknown_fifth_instruction',
  UnknownSixth: 'invalid_exact_svm_payload_unknown_sixth_instruction',
  UnknownSeventh: 'invalid_exact_svm_payload_unknown_seventh_instruction',
  MemoCount: 'invalid_exact_svm_payload_memo_count',
  MemoMismatch: 'invalid_exact_svm_payload_memo_mismatch',
  SimulationFailed: 'invalid_exact_svm_transaction_simulation_failed',
  /** Tollgate's: the blockhash expires before the queue could still settle the payment. */
  BlockhashTooOld: 'tollgate_valid_before_within_settlement_window',
  /** Tollgate's: another pending payment already holds this transaction message. */
  TransactionAlreadyUsed: 'tollgate_svm_transaction_already_used',
  /** Settlement: the transaction landed with an error (the reference settle's code). */
  TransactionFailed: 'invalid_exact_svm_transaction_failed',
  /** Settlement: the transfer failed because the payer no longer holds the amount. */
  InsufficientFunds: 'insufficient_funds',
  /** Settlement: the blockhash expired before the transaction landed (it never can now). */
  BlockhashExpired: 'tollgate_blockhash_expired',
  /** Settlement: the stored payment is not a transaction this facilitator can co-sign. */
  NotCoSignable: 'invalid_exact_svm_fee_payer_not_managed_by_facilitator',
} as const;
