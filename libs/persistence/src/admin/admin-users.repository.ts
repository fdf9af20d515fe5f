import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../query-rows';

/** `viewer` reads everything; `operator` may also act. */
export type AdminUserRole = 'viewer' | 'operator';

/** An enabled admin user as sign-in reads it (argon2id hash). */
export interface AdminUserLoginRow {
  id: string;
  username: string;
  password_hash: string;
  role: AdminUserRole;
}

/** A live session with its user; `stale` when `last_seen_at` is over a minute old. */
export interface AdminSessionRow {
  id: string;
  csrf_secret: string;
  stale: boolean;
  user_id: string;
  username: string;
  role: AdminUserRole;
}

/** A live admin API token; `stale` when `last_used_at` is unset or over a minute old. */
export interface AdminTokenRow {
  id: string;
  name: string;
  role: AdminUserRole;
  stale: boolean;
}

/**
 * Admin identities: users (`admin_users`), browser sessions (`admin_sessions`) and API tokens
 * (`admin_api_tokens`). Only hashes are stored; hashing and every decision are the caller's.
 */
export class AdminUsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a user (through `manager` when given). @returns its id, or null when the username is taken. */
  async insertUser(username: string, passwordHash: string, role: AdminUserRole, manager?: EntityManager): Promise<string | null> {
    const rows: Array<{ id: string }> = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO admin_users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING id`,
      [username, passwordHash, role],
    );
    return rows[0]?.id ?? null;
  }

  /** Replaces a user's password hash and revokes all their sessions, in one transaction. @returns false when no such user. */
  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const rows = await queryRows<{ id: string }>(
        m,
        `UPDATE admin_users SET password_hash = $2, updated_at = now() WHERE username = $1 RETURNING id`,
        [username, passwordHash],
      );
      if (!rows.length) return false;
      await m.query(`UPDATE admin_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [rows[0].id]);
      return true;
    });
  }

  /** Disables a user (kept disabled since the first time). @returns false when no such user. */
  async disableUser(username: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE admin_users SET disabled_at = coalesce(disabled_at, now()), updated_at = now() WHERE username = $1 RETURNING id`,
      [username],
    );
    return rows.length > 0;
  }

  /** Every user by name. */
  async listUsers(): Promise<Array<{ username: string; role: AdminUserRole; disabled: boolean; last_login_at: Date | null }>> {
    return this.dataSource.query(
      `SELECT username, role, disabled_at IS NOT NULL AS disabled, last_login_at FROM admin_users ORDER BY username`,
    );
  }

  /** An enabled user by (lower-case) username; undefined when none. */
  async enabledUser(username: string): Promise<AdminUserLoginRow | undefined> {
    const rows: AdminUserLoginRow[] = await this.dataSource.query(
      `SELECT id, username, password_hash, role FROM admin_users WHERE username = $1 AND disabled_at IS NULL`,
      [username],
    );
    return rows[0];
  }

  /** Opens a session lasting `ttlMinutes` and stamps the user's last sign-in. @returns the session id. */
  async openSession(userId: string, tokenHash: string, csrfSecret: string, ttlMinutes: number): Promise<string> {
    const [session]: Array<{ id: string }> = await this.dataSource.query(
      `INSERT INTO admin_sessions (user_id, token_hash, csrf_secret, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(mins => $4)) RETURNING id`,
      [userId, tokenHash, csrfSecret, ttlMinutes],
    );
    await this.dataSource.query(`UPDATE admin_users SET last_login_at = now() WHERE id = $1`, [userId]);
    return session.id;
  }

  /**
   * The live session of a cookie hash: not revoked, not expired, seen within `idleMinutes`, user enabled;
   * undefined otherwise.
   */
  async liveSession(tokenHash: string, idleMinutes: number): Promise<AdminSessionRow | undefined> {
    const rows: AdminSessionRow[] = await this.dataSource.query(
      `SELECT s.id, s.csrf_secret, s.last_seen_at < now() - interval '1 minute' AS stale, u.id AS user_id, u.username, u.role
         FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(mins => $2) AND u.disabled_at IS NULL`,
      [tokenHash, idleMinutes],
    );
    return rows[0];
  }

  /** Marks a session as seen now. */
  async touchSession(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE admin_sessions SET last_seen_at = now() WHERE id = $1`, [id]);
  }

  /** Revokes a session (no-op when already revoked). */
  async revokeSession(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE admin_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  }

  /** Inserts an API token (its hash only); `createdBy` is an admin user's id. @returns its id. */
  async insertToken(name: string, prefix: string, tokenHash: string, role: AdminUserRole, createdBy: string | null): Promise<string> {
    const [row]: Array<{ id: string }> = await this.dataSource.query(
      `INSERT INTO admin_api_tokens (name, prefix, token_hash, role, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [name, prefix, tokenHash, role, createdBy],
    );
    return row.id;
  }

  /** Revokes a live token by prefix or id. @returns false when nothing was revoked. */
  async revokeToken(prefixOrId: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE admin_api_tokens SET revoked_at = now() WHERE (prefix = $1 OR id::text = $1) AND revoked_at IS NULL RETURNING id`,
      [prefixOrId],
    );
    return rows.length > 0;
  }

  /** The live token of a secret's hash; undefined when none. */
  async liveToken(tokenHash: string): Promise<AdminTokenRow | undefined> {
    const rows: AdminTokenRow[] = await this.dataSource.query(
      `SELECT id, name, role, last_used_at IS NULL OR last_used_at < now() - interval '1 minute' AS stale
         FROM admin_api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [tokenHash],
    );
    return rows[0];
  }

  /** Marks a token as used now. */
  async touchToken(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE admin_api_tokens SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
