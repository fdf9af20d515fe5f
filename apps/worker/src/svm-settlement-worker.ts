import { Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { WorkerConfig } from '@tollgate/config';
import { logSafeError } from '@tollgate/evm';
import { createDataSource, PaymentLedger, SvmTransactionStore } from '@tollgate/persistence';
import { feePayerSigners, SvmSettler, type FeePayerBalance, type SvmSettlerOptions } from '@tollgate/svm';

/** How often fee-payer balances are read (gauge and low-balance warning). */
const BALANCE_INTERVAL_MS = 10_000;

/**
 * The Solana settlement consumer: one {@link SvmSettler} pass every BATCH_TICK_MS (passes never overlap
 * within a process; several processes share the work through `FOR UPDATE SKIP LOCKED` claims) and a
 * fee-payer balance read every BALANCE_INTERVAL_MS. Every pass re-derives its work from Postgres; no Redis
 * job is needed. Holds the fee-payer keys (`SOLANA_FEE_PAYER_KEYS_<K>`); the API never does.
 */
export class SvmSettlementWorker implements OnModuleDestroy {
  private readonly logger = new Logger('SvmSettlementWorker');
  private timers: NodeJS.Timeout[] = [];
  private ticking = false;
  private stopping = false;
  /** Last balance read per fee payer (for the metrics gauge). */
  balances: FeePayerBalance[] = [];

  private constructor(
    readonly dataSource: DataSource,
    readonly settler: SvmSettler,
  ) {}

  /**
   * Connects to Postgres, derives the fee-payer signers and starts the loops.
   * @throws Error when a configured fee payer (`SOLANA_FEE_PAYERS_<K>`) has no key or a key is malformed.
   */
  static async start(config: WorkerConfig, opts: Omit<SvmSettlerOptions, 'logger'> = {}): Promise<SvmSettlementWorker> {
    const networks = [];
    for (const n of config.solanaNetworks ?? []) {
      const signers = await feePayerSigners(config.solanaFeePayerKeys?.[n.network] ?? []);
      const missing = n.feePayers.filter((a) => !signers.has(a));
      if (missing.length) throw new Error(`${n.network}: no key for fee payer(s) ${missing.join(', ')} (SOLANA_FEE_PAYER_KEYS_*)`);
      // The same threshold the console flags a fee payer low at (SOLANA_FEE_PAYER_MIN_LAMPORTS_<K>).
      networks.push({ network: n.network, rpcUrl: n.rpcUrl, signers, minFeePayerLamports: n.feePayerMinLamports ? BigInt(n.feePayerMinLamports) : undefined });
    }
    const dataSource = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 4, applicationName: 'tollgate-worker-svm' }).initialize();
    const ledger = new PaymentLedger(dataSource);
    const w = new SvmSettlementWorker(dataSource, new SvmSettler(new SvmTransactionStore(dataSource, ledger), ledger, networks, { ...opts, logger: new Logger('SvmSettler') }));
    w.timers.push(setInterval(() => void w.tick(), config.settlement.tickMs));
    w.timers.push(setInterval(() => void w.readBalances(), BALANCE_INTERVAL_MS));
    await w.readBalances();
    void w.tick();
    return w;
  }

  /** One settlement pass; passes never overlap within a process. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      await this.settler.tick();
    } catch (e) {
      this.logger.warn(`Solana settlement pass failed: ${logSafeError(e)}`);
    } finally {
      this.ticking = false;
    }
  }

  private async readBalances(): Promise<void> {
    if (this.stopping) return;
    try {
      this.balances = await this.settler.feePayerBalances();
    } catch (e) {
      this.logger.warn(`fee-payer balance read failed: ${logSafeError(e)}`);
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** Stops the loops, waits for the running pass (each is resumable from Postgres), closes Postgres. */
  stop(): Promise<void> {
    // One shutdown, however many callers (the Nest hook and an embedder): each waits for the same drain.
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private stopped?: Promise<void>;

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.timers.forEach(clearInterval);
    this.timers = [];
    while (this.ticking) await new Promise((r) => setTimeout(r, 20));
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
