import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Address } from 'viem';
import { privateKeyToAccount, PrivateKeyAccount } from 'viem/accounts';
import { NetworkConfig, WorkerConfig } from '@tollgate/config';
import { ChainClients } from '@tollgate/evm';
import { PaymentLedger, RelayersRepository, SettlementRepositories, withSessionLock } from '@tollgate/persistence';
import { JobQueues } from '@tollgate/queue';
import { LaneGasEstimates } from './batch-sizing';

/** A relayer account (its key never leaves this object and is never logged). */
export interface Relayer {
  network: string;
  address: Address;
  /** Lower-case address, as stored. */
  id: string;
  account: PrivateKeyAccount;
}

/**
 * Everything the settlement pipeline shares. Built once per worker process — and only there: it holds the
 * relayer accounts (keys), which the internet-facing API must never have.
 */
export class SettlementContext {
  readonly logger = new Logger('Settlement');
  private readonly relayersByNetwork = new Map<string, Relayer[]>();
  private readonly networks = new Map<string, NetworkConfig>();
  /** Gas per row last measured per lane (the submitter records, the scheduler sizes its claims with it). */
  readonly gasEstimates = new LaneGasEstimates();
  /** Every batch, lane, relayer and relayer transaction query of the pipeline (status changes: status-stores). */
  readonly repos: SettlementRepositories;

  constructor(
    readonly config: WorkerConfig,
    readonly dataSource: DataSource,
    readonly ledger: PaymentLedger,
    readonly chains: ChainClients,
    readonly queues: JobQueues,
  ) {
    this.repos = new SettlementRepositories(dataSource);
    for (const n of config.networks) {
      this.networks.set(n.network, n);
      this.relayersByNetwork.set(
        n.network,
        (config.relayerKeys[n.network] ?? []).map((k) => {
          const account = privateKeyToAccount(k);
          return { network: n.network, address: account.address, id: account.address.toLowerCase(), account };
        }),
      );
    }
  }

  network(network: string): NetworkConfig {
    const n = this.networks.get(network);
    if (!n) throw new Error(`network ${network} is not configured`);
    return n;
  }

  /**
   * Most rows to claim into one batch of the lane: `BATCH_MAX_SIZE`, or fewer when the lane's last
   * measured gas per row says fewer fit under the network's `TX_GAS_CAP`.
   */
  batchRowLimit(network: string, asset: string): number {
    const max = this.config.settlement.maxBatchSize;
    const net = this.networks.get(network);
    return net ? this.gasEstimates.rowLimit(network, asset, max, net.txGasCap) : max;
  }

  relayers(network: string): Relayer[] {
    return this.relayersByNetwork.get(network) ?? [];
  }

  relayer(network: string, address: string): Relayer {
    const r = this.relayers(network).find((x) => x.id === address.toLowerCase());
    if (!r) throw new Error(`relayer ${address} is not configured for ${network}`);
    return r;
  }

  /**
   * Registers every configured relayer in Postgres with the chain's pending nonce (idempotent), so
   * nonce allocation has a row to lock — and so the API, which holds no keys, learns the relayer
   * addresses it shows (`/supported` signers, console, metrics).
   */
  async registerRelayers(): Promise<void> {
    for (const n of this.config.networks) {
      await publishRelayers(this.dataSource, this.chains, this.relayers(n.network));
    }
  }

  /**
   * Runs `fn` while holding a Postgres session advisory lock on `key`, on one dedicated connection.
   * @returns undefined without running `fn` when another process holds the lock.
   */
  exclusively<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    return exclusively(this.dataSource, key, fn);
  }
}

/**
 * Publishes relayer addresses in `relayers` (network, lower-case address) with the chain's pending nonce;
 * an existing row keeps the higher nonce. Addresses only: the keys stay in the worker.
 */
export async function publishRelayers(dataSource: DataSource, chains: ChainClients, relayers: ReadonlyArray<{ network: string; address: Address }>): Promise<void> {
  const repo = new RelayersRepository(dataSource);
  for (const r of relayers) {
    const pending = await chains.get(r.network).getTransactionCount({ address: r.address, blockTag: 'pending' });
    await repo.publish(r.network, r.address.toLowerCase(), pending);
  }
}

/**
 * Runs `fn` while holding a Postgres session advisory lock on `key` (the lock the batch submitter holds
 * on `batch:<id>` while it builds and signs), on a connection of the lock pool (see withSessionLock).
 * @returns undefined without running `fn` when another session holds the lock.
 */
export function exclusively<T>(dataSource: DataSource, key: string, fn: () => Promise<T>): Promise<T | undefined> {
  return withSessionLock(dataSource, key, fn);
}
