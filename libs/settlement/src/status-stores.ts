import { RelayerTransactionStore, SettlementBatchStore } from '@tollgate/persistence';

/** The writers every batch and relayer transaction status change of the settlement pipeline goes through. */
export const batchStatus = new SettlementBatchStore();
export const relayerTxStatus = new RelayerTransactionStore();
