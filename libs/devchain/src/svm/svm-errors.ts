import type { FailedTransactionMetadata } from 'litesvm';

// litesvm reports errors as numeric const enums; Solana's JSON-RPC names them. Order as in litesvm 1.5's
// `TransactionErrorFieldless` / `InstructionErrorFieldless` (the same order as the Rust enums).
const TRANSACTION_ERRORS = ['AccountInUse', 'AccountLoadedTwice', 'AccountNotFound', 'ProgramAccountNotFound', 'InsufficientFundsForFee', 'InvalidAccountForFee', 'AlreadyProcessed', 'BlockhashNotFound', 'CallChainTooDeep', 'MissingSignatureForFee', 'InvalidAccountIndex', 'SignatureFailure', 'InvalidProgramForExecution', 'SanitizeFailure', 'ClusterMaintenance', 'AccountBorrowOutstanding', 'WouldExceedMaxBlockCostLimit', 'UnsupportedVersion', 'InvalidWritableAccount', 'WouldExceedMaxAccountCostLimit', 'WouldExceedAccountDataBlockLimit', 'TooManyAccountLocks', 'AddressLookupTableNotFound', 'InvalidAddressLookupTableOwner', 'InvalidAddressLookupTableData', 'InvalidAddressLookupTableIndex', 'InvalidRentPayingAccount', 'WouldExceedMaxVoteCostLimit', 'WouldExceedAccountDataTotalLimit', 'MaxLoadedAccountsDataSizeExceeded', 'ResanitizationNeeded', 'InvalidLoadedAccountsDataSizeLimit', 'UnbalancedTransaction', 'ProgramCacheHitMaxLimit', 'CommitCancelled', ];
const INSTRUCTION_ERRORS = ['GenericError', 'InvalidArgument', 'InvalidInstructionData', 'InvalidAccountData', 'AccountDataTooSmall', 'InsufficientFunds', 'IncorrectProgramId', 'MissingRequiredSignature', 'AccountAlreadyInitialized', 'UninitializedAccount', 'UnbalancedInstruction', 'ModifiedProgramId', 'ExternalAccountLamportSpend', 'ExternalAccountDataModified', 'ReadonlyLamportChange', 'ReadonlyDataModified', 'DuplicateAccountIndex', 'ExecutableModified', 'RentEpochModified', 'NotEnoughAccountKeys', 'AccountDataSizeChanged', 'AccountNotExecutable', 'AccountBorrowFailed', 'AccountBorrowOutstanding', 'DuplicateAccountOutOfSync', 'InvalidError', 'ExecutableDataModified', 'ExecutableLamportChange', 'ExecutableAccountNotRentExempt', 'UnsupportedProgramId', 'CallDepth', 'MissingAccount', 'ReentrancyNotAllowed', 'MaxSeedLengthExceeded', 'InvalidSeeds', 'InvalidRealloc', 'ComputationalBudgetExceeded', 'PrivilegeEscalation', 'ProgramEnvironmentSetupFailure', 'ProgramFailedToComplete', 'ProgramFailedToCompile', 'Immutable', 'IncorrectAuthority', 'AccountNotRentExempt', 'InvalidAccountOwner', 'ArithmeticOverflow', 'UnsupportedSysvar', 'IllegalOwner', 'MaxAccountsDataAllocationsExceeded', 'MaxAccountsExceeded', 'MaxInstructionTraceLengthExceeded', 'BuiltinProgramsMustConsumeComputeUnits', 'BorshIoError', ];

/**
 * A litesvm transaction error in the JSON form Solana's RPC answers (`"BlockhashNotFound"`,
 * `{"InstructionError":[2,{"Custom":1}]}`), which @solana/kit and the x402 packages print and match.
 */
export function solanaTransactionError(err: ReturnType<FailedTransactionMetadata['err']>): unknown {
  if (typeof err === 'number') return TRANSACTION_ERRORS[err] ?? `TransactionError(${err})`;
  // litesvm's error classes are exported as types only, so they are told apart by their fields.
  const e = err as unknown as { index?: number; accountIndex?: number; err?: () => unknown; toString(): string };
  if (typeof e.err === 'function' && typeof e.index === 'number') {
    const inner = e.err() as number | { code?: number; toString(): string };
    if (typeof inner === 'number') return { InstructionError: [e.index, INSTRUCTION_ERRORS[inner] ?? 'GenericError'] };
    if (typeof inner.code === 'number') return { InstructionError: [e.index, { Custom: inner.code }] };
    return { InstructionError: [e.index, { BorshIoError: inner.toString() }] };
  }
  if (typeof e.index === 'number') return { DuplicateInstruction: e.index };
  if (typeof e.accountIndex === 'number') {
    const name = e.toString().includes('Restricted') ? 'ProgramExecutionTemporarilyRestricted' : 'InsufficientFundsForRent';
    return { [name]: { account_index: e.accountIndex } };
  }
  return e.toString();
}
