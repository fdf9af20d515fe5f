import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEntry, recordAdminAudit } from '@tollgate/persistence';
import type { AdminIdentity } from './auth/admin-auth.service';
import { whereAdder } from '../common/sql-where';

export type { AuditEntry };

/** A stored audit row, as the console shows it. */
export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: unknown;
  after: unknown;
  detail: Record<string, unknown> | null;
  request_id: string | null;
  at: Date;
}

/**
 * The admin audit log: who did what, to what, when, with the state before and after. Append-only; an
 * action writes its row in the same Postgres transaction as its effect, so there is never an effect
 * without its record (nor a record of an effect that rolled back).
 */
@Injectable()
export class AdminAuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(actor: AdminIdentity | { actor: string; userId?: string | null; tokenId?: string | null }, entry: AuditEntry, manager?: EntityManager): Promise<void> {
    await recordAdminAudit(manager ?? this.dataSource.manager, actor, entry);
  }

  /** Newest first, optionally for one target. */
  async list(opts: { targetType?: string; targetId?: string; action?: string; actor?: string; limit?: number; offset?: number } = {}): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = whereAdder(params, where);
    if (opts.targetType) add('target_type = ?', opts.targetType);
    if (opts.targetId) add('target_id = ?', opts.targetId);
    if (opts.action) add('action = ?', opts.action);
    if (opts.actor) add('actor = ?', opts.actor);
    params.push(Math.min(opts.limit ?? 100, 500), opts.offset ?? 0);
    return this.dataSource.query(
      `SELECT id::text, actor, action, target_type, target_id, before, after, detail, request_id, at FROM admin_audit_log
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
  }
}
