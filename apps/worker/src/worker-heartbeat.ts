import { Logger } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { WorkerHeartbeat, WorkerHeartbeatsRepository } from '@tollgate/persistence';

/** How often a worker upserts its heartbeat. WORKER_STALE_AFTER_SECONDS (default 30) should be several of these. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** Rows of processes unseen for this long are deleted by whichever worker beats next (1 day). */
const PRUNE_AFTER_SECONDS = 86_400;

/** The repository's version (the nearest package.json above this file, in source and in dist alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      return 'unknown';
    }
  }
  return 'unknown';
}

/**
 * The worker's heartbeat: upserts `worker_heartbeats` (id `hostname:pid:startMs`) at once and every
 * {@link HEARTBEAT_INTERVAL_MS}, and prunes rows unseen for a day. A failed beat is logged and retried on
 * the next tick — the API turns a missing heartbeat into the console banner and `/health/settlement`.
 * Stopping leaves the row to age, so the API sees the worker gone after WORKER_STALE_AFTER_SECONDS.
 */
export class WorkerHeartbeatLoop {
  private readonly logger = new Logger('WorkerHeartbeat');
  private readonly repository: WorkerHeartbeatsRepository;
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  readonly identity: WorkerHeartbeat;

  constructor(dataSource: DataSource, runs: string[]) {
    this.repository = new WorkerHeartbeatsRepository(dataSource);
    const startedAt = new Date();
    this.identity = { workerId: `${hostname()}:${process.pid}:${startedAt.getTime()}`, hostname: hostname(), pid: process.pid, version: packageVersion(), runs, startedAt };
  }

  /** Beats now and every {@link HEARTBEAT_INTERVAL_MS} until {@link stop}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    void this.beat();
  }

  /** One beat (and prune); never throws. */
  beat(): Promise<void> {
    this.beating ??= (async () => {
      try {
        await this.repository.beat(this.identity);
        await this.repository.prune(PRUNE_AFTER_SECONDS);
      } catch (e) {
        this.logger.warn(`heartbeat failed: ${(e as Error).message}`);
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /** Stops beating and waits for a beat in flight (before the caller closes the DataSource). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }
}
