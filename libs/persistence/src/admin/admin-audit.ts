import { EntityManager } from 'typeorm';

/** Who acted: an operator account, an admin API token, or `anonymous`. */
export interface AuditActor {
  actor: string;
  userId?: string | null;
  tokenId?: string | null;
}

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

/**
 * Appends one row to `admin_audit_log` through `manager` — the transaction of the effect it records, so
 * there is never an effect without its record. Used by the API (requests, console actions) and by the
 * worker (operator actions it carries out). bigint values are stored as decimal strings.
 */
export async function recordAdminAudit(manager: EntityManager, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await manager.query(
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

/** bigint → decimal string in audit JSON (amounts are atomic units). */
function jsonSafe(_: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
