import { DataSource } from 'typeorm';
import { BatchPaymentsRepository } from './batch-payments.repository';
import { SettlementBatchesRepository } from './batches.repository';
import { LanesRepository } from './lanes.repository';
import { OperatorActionsRepository } from './operator-actions.repository';
import { RelayerTransactionsRepository } from './relayer-transactions.repository';
import { RelayersRepository } from './relayers.repository';
import { SweeperRepository } from './sweeper.repository';

/** Every repository the settlement pipeline reads and writes through, over one DataSource. */
export class SettlementRepositories {
  readonly batches: SettlementBatchesRepository;
  readonly batchPayments: BatchPaymentsRepository;
  readonly lanes: LanesRepository;
  readonly relayers: RelayersRepository;
  readonly relayerTxs: RelayerTransactionsRepository;
  readonly sweeper: SweeperRepository;
  readonly operatorActions: OperatorActionsRepository;

  constructor(db: DataSource) {
    this.batches = new SettlementBatchesRepository(db);
    this.batchPayments = new BatchPaymentsRepository(db);
    this.lanes = new LanesRepository(db);
    this.relayers = new RelayersRepository(db);
    this.relayerTxs = new RelayerTransactionsRepository(db);
    this.sweeper = new SweeperRepository(db);
    this.operatorActions = new OperatorActionsRepository(db);
  }
}
