import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AdminAuditFilter, AdminAuditRepository, AdminAuditRow, AuditEntry } from '@tollgate/persistence';
import type { AdminIdentity } from './auth/admin-auth.service';

export type { AuditEntry };

/** A stored audit row, as the console shows it. */
export type AuditRow = AdminAuditRow;

/**
 * The admin audit log: who did what, to what, when, with the state before and after. Append-only; an
 * action writes its row in the same Postgres transaction as its effect, so there is never an effect
 * without its record (nor a record of an effect that rolled back).
 */
@Injectable()
export class AdminAuditService {
  constructor(private readonly repository: AdminAuditRepository) {}

  async record(actor: AdminIdentity | { actor: string; userId?: string | null; tokenId?: string | null }, entry: AuditEntry, manager?: EntityManager): Promise<void> {
    await this.repository.record(actor, entry, manager);
  }

  /** Newest first, optionally for one target (limit at most 500, default 100). */
  async list(opts: AdminAuditFilter & { limit?: number; offset?: number } = {}): Promise<AuditRow[]> {
    return this.repository.list(opts, Math.min(opts.limit ?? 100, 500), opts.offset ?? 0);
  }
}
