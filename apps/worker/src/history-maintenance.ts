import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PaymentEventPartitions } from '@tollgate/persistence';

/** How often the worker checks that `payment_events` has partitions ahead (1 hour). */
export const HISTORY_MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * Keeps daily `payment_events` partitions created `aheadDays` ahead of today (Postgres creates none by
 * itself; an insert no partition covers lands in the default partition, and the next pass moves it into its
 * day's partition). Runs at start and every {@link HISTORY_MAINTENANCE_INTERVAL_MS}; with several workers only
 * one does the work at a time (advisory lock), and a pass that cannot lock in time is simply retried by the
 * next. Never throws: a failed pass is logged.
 */
export class HistoryMaintenanceLoop {
  private readonly logger = new Logger('HistoryMaintenance');
  private readonly partitions: PaymentEventPartitions;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(dataSource: DataSource, private readonly aheadDays: number) {
    this.partitions = new PaymentEventPartitions(dataSource);
  }

  /** Runs a pass now and every {@link HISTORY_MAINTENANCE_INTERVAL_MS} until {@link stop}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pass(), HISTORY_MAINTENANCE_INTERVAL_MS);
    void this.pass();
  }

  /** One pass; resolves when done (never rejects). */
  pass(): Promise<void> {
    this.running ??= (async () => {
      try {
        const created = await this.partitions.ensureAhead(this.aheadDays);
        if (created.length) this.logger.log(`created payment_events partitions ${created.join(', ')}`);
      } catch (e) {
        this.logger.warn(`payment_events partition maintenance failed: ${(e as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Stops the timer and waits for a pass in flight (before the caller closes the DataSource). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
