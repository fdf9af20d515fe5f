import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AdminIdentity } from './auth/admin-auth.service';
import { whereAdder } from '../common/sql-where';

/** One admin action as recorded. */
export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  before?: unknown;
  after?: unknown;
  detail?: Record<string, unknown>;
  requestId?: string;
}

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
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO admin_audit_log (actor, actor_user_id, actor_token_id, action, target_type, target_id, before, after, detail, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10)`,
      [
        actor.actor,
        actor.userId ?? null,
        actor.tokenId ?? null,
        entry.action,
        entry.targetType ?? null,
        entry.targetId ?? null,
        entry.before === undefined ? null : JSON.stringify(entry.before, jsonSafe),
        entry.after === undefined ? null : JSON.stringify(entry.after, jsonSafe),
        entry.detail ? JSON.stringify(entry.detail, jsonSafe) : null,
        entry.requestId ?? null,
      ],
    );
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

/** bigint → decimal string in audit JSON (amounts are atomic units). */
function jsonSafe(_: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
