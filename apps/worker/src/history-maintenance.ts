import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HISTORY_TABLES, HistoryPartitions, PaymentsHistory } from '@tollgate/persistence';

/** How often the worker checks that the history tables have partitions ahead (1 hour). */
export const HISTORY_MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Payments moved to `payments_history` per statement, and statements per pass at most. */
const MOVE_BATCH = 5_000;
const MOVE_BATCHES_PER_PASS = 50;

/** What the loop needs from `config.history`. */
export interface HistoryMaintenanceSettings {
  partitionsAheadDays: number;
  /** Seconds a final payment with an expired authorization stays in `payments`. */
  hotSeconds: number;
  /** Period (ms) of the move to `payments_history`. */
  moveIntervalMs: number;
}

/**
 * The worker's upkeep of payment history:
 * - keeps daily partitions of `payment_events`, `payments_history` and `svm_transactions_history` created `partitionsAheadDays` ahead of
 *   today (Postgres creates none by itself; an insert no partition covers lands in the default partition,
 *   and the next pass moves it into its day's partition), at start and every
 *   {@link HISTORY_MAINTENANCE_INTERVAL_MS}; with several workers only one does it at a time (advisory lock);
 * - every `moveIntervalMs`, moves final payments whose authorization has expired and that have not changed for
 *   `hotSeconds` from `payments` to `payments_history`, with their Solana transactions ({@link PaymentsHistory.moveFinal}), up to
 *   {@link MOVE_BATCH} × {@link MOVE_BATCHES_PER_PASS} per pass; several workers share the work (SKIP LOCKED).
 * Never throws: a failed pass is logged and the next one tries again.
 */
export class HistoryMaintenanceLoop {
  private readonly logger = new Logger('HistoryMaintenance');
  private readonly partitions: HistoryPartitions[];
  private readonly payments: PaymentsHistory;
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private moving?: Promise<number>;

  constructor(dataSource: DataSource, private readonly settings: HistoryMaintenanceSettings) {
    this.partitions = HISTORY_TABLES.map((t) => new HistoryPartitions(dataSource, t));
    this.payments = new PaymentsHistory(dataSource);
  }

  /** Runs both passes now and on their periods until {@link stop}. */
  start(): void {
    if (this.timers.length) return;
    this.timers = [
      setInterval(() => void this.pass(), HISTORY_MAINTENANCE_INTERVAL_MS),
      setInterval(() => void this.movePass(), this.settings.moveIntervalMs),
    ];
    void this.pass().then(() => this.movePass());
  }

  /** One partition pass; resolves when done (never rejects). */
  pass(): Promise<void> {
    this.running ??= (async () => {
      try {
        for (const p of this.partitions) {
          try {
            const created = await p.ensureAhead(this.settings.partitionsAheadDays);
            if (created.length) this.logger.log(`created ${p.parent} partitions ${created.join(', ')}`);
          } catch (e) {
            this.logger.warn(`${p.parent} partition maintenance failed: ${(e as Error).message}`);
          }
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** One move pass; resolves with the payments moved (never rejects). */
  movePass(): Promise<number> {
    this.moving ??= (async () => {
      let moved = 0;
      try {
        for (let i = 0; i < MOVE_BATCHES_PER_PASS; i++) {
          const n = await this.payments.moveFinal({ hotSeconds: this.settings.hotSeconds, limit: MOVE_BATCH });
          moved += n;
          if (n < MOVE_BATCH) break;
        }
        if (moved) this.logger.log(`moved ${moved} final payments to payments_history`);
      } catch (e) {
        this.logger.warn(`moving payments to payments_history failed: ${(e as Error).message}`);
      } finally {
        this.moving = undefined;
      }
      return moved;
    })();
    return this.moving;
  }

  /** Stops the timers and waits for passes in flight (before the caller closes the DataSource). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all([this.running, this.moving]);
  }
}
