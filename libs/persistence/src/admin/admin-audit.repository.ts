import type { DataSource, EntityManager } from 'typeorm';
import { AuditActor, AuditEntry, recordAdminAudit } from './admin-audit';
import { whereAdder, whereClause } from './console-query';

/** A stored `admin_audit_log` row, as the console shows it. */
export interface AdminAuditRow {
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

/** Filters of the audit log (all optional; combined with AND). */
export interface AdminAuditFilter {
  targetType?: string;
  targetId?: string;
  action?: string;
  actor?: string;
}

/** The admin audit log (`admin_audit_log`): appended in the transaction of the effect it records, read newest first. */
export class AdminAuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends one row through `manager` (the effect's transaction), or on its own without one. */
  async record(actor: AuditActor, entry: AuditEntry, manager?: EntityManager): Promise<void> {
    await recordAdminAudit(manager ?? this.dataSource.manager, actor, entry);
  }

  /** Newest first; `limit`/`offset` are the caller's bounds. */
  async list(f: AdminAuditFilter, limit: number, offset: number): Promise<AdminAuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = whereAdder(params, where);
    if (f.targetType) add('target_type = ?', f.targetType);
    if (f.targetId) add('target_id = ?', f.targetId);
    if (f.action) add('action = ?', f.action);
    if (f.actor) add('actor = ?', f.actor);
    params.push(limit, offset);
    return this.dataSource.query(
      `SELECT id::text, actor, action, target_type, target_id, before, after, detail, request_id, at FROM admin_audit_log
        ${whereClause(where)} ORDER BY at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
  }
}
