import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiKeyRepository } from '@tollgate/persistence';

/** A key's last-used time is written at most this often per process (ms). */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Keys noted in this many ms are written together, in one UPDATE. */
const FLUSH_DELAY_MS = 1_000;

/**
 * Keeps each API key's `last_used_at` true to about a minute without a write per request: the guard calls
 * {@link note} (a Map lookup); a key not written by this process for a minute is queued, and queued keys are
 * written in one fire-and-forget UPDATE a second later. A failed write is logged and forgotten — the next
 * minute writes again. Several API processes may each write a key once a minute; the UPDATE never moves a time back.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyUsage.name);
  private readonly written = new Map<string, number>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly repo: ApiKeyRepository;

  constructor(dataSource: DataSource) {
    this.repo = new ApiKeyRepository(dataSource);
  }

  /** Records that key `keyId` authenticated a request now. Synchronous; never throws. */
  note(keyId: string): void {
    const now = Date.now();
    const last = this.written.get(keyId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    if (this.written.size > 100_000) this.written.clear();
    this.written.set(keyId, now);
    this.pending.add(keyId);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes the queued keys now (also on shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    await this.repo.touchLastUsed(ids, new Date()).catch((e: Error) => this.logger.warn(`API key last-used times not written: ${e.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}
