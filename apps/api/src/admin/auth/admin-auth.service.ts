import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { AdminUserRole, AdminUsersRepository } from '@tollgate/persistence';

/** `viewer` reads everything; `operator` may also act (retry, void, pause, flush, replace, replay, merchants). */
export type AdminRole = AdminUserRole;

export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'operator'];

/** Who is calling an admin route: a browser session of an admin user, or an admin API token. */
export interface AdminIdentity {
  kind: 'session' | 'token';
  role: AdminRole;
  /** Human-readable actor for the audit log: `user:alice` or `token:ci-bot`. */
  actor: string;
  userId: string | null;
  tokenId: string | null;
  username: string | null;
  /** Session only: the session row id (what CSRF tokens are bound to) and its CSRF secret. */
  sessionId?: string;
  csrfSecret?: string;
}

/** Visible start of every admin API token; distinct from merchant keys (`tg_`), which never open admin routes. */
export const ADMIN_TOKEN_PREFIX = 'tga_';

/** Raised for a username that is taken or malformed. */
export class AdminUserError extends Error {}

/**
 * A constant argon2id hash verified when the username does not exist, so that a login for an unknown user
 * costs as much as one for a known user (no username probing by timing).
 */
const DUMMY_HASH_INPUT = 'tollgate-no-such-user';

/** Hex SHA-256: session cookies and API tokens are high-entropy random, so a fast hash is enough. */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Admin users (argon2id password hashes), their browser sessions (only a SHA-256 of the cookie is
 * stored) and admin API tokens (shown once, stored as SHA-256). Independent of merchant authentication.
 */
@Injectable()
export class AdminAuthService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: AdminUsersRepository,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
  ) {}

  /**
   * Creates an admin user with an argon2id password hash.
   * @throws AdminUserError when the username is malformed, taken, or the password too short.
   */
  async createUser(username: string, password: string, role: AdminRole, manager?: EntityManager): Promise<{ id: string; username: string; role: AdminRole }> {
    const name = username.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(name)) throw new AdminUserError('username must be 2-64 characters: a-z, 0-9, ".", "_", "-"');
    if (password.length < 12) throw new AdminUserError('password must be at least 12 characters');
    if (!ADMIN_ROLES.includes(role)) throw new AdminUserError(`role must be one of ${ADMIN_ROLES.join(', ')}`);
    const hash = await argon2.hash(password, { type: argon2.argon2id });
    const id = await this.users.insertUser(name, hash, role, manager);
    if (id === null) throw new AdminUserError(`username ${name} is taken`);
    return { id, username: name, role };
  }

  /** Replaces a user's password and ends all their sessions. @returns false when no such user. */
  async setPassword(username: string, password: string): Promise<boolean> {
    if (password.length < 12) throw new AdminUserError('password must be at least 12 characters');
    const hash = await argon2.hash(password, { type: argon2.argon2id });
    return this.users.setPasswordHash(username.toLowerCase(), hash);
  }

  /** Disables a user (their sessions stop working at once). @returns false when no such user. */
  async disableUser(username: string): Promise<boolean> {
    return this.users.disableUser(username.toLowerCase());
  }

  /** Every admin user by name, with role, whether disabled and the last sign-in. */
  async listUsers(): Promise<Array<{ username: string; role: AdminRole; disabled: boolean; last_login_at: Date | null }>> {
    return this.users.listUsers();
  }

  /**
   * Checks a username and password and opens a session. Throttling is the caller's (per client address:
   * see AdminLoginThrottle); this costs one argon2id verification whether or not the user exists.
   * @param username any string; matched trimmed and lower-case.
   * @returns the cookie value (shown to the browser only) and the identity, or null when refused.
   */
  async login(username: string, password: string): Promise<{ cookie: string; identity: AdminIdentity } | null> {
    const name = username.trim().toLowerCase();
    const user = await this.users.enabledUser(name);
    let ok = false;
    if (user) ok = await argon2.verify(user.password_hash, password).catch(() => false);
    else await argon2.verify(await this.dummy(), password).catch(() => false);
    if (!user || !ok) return null;
    const cookie = randomBytes(32).toString('base64url');
    const csrfSecret = randomBytes(32).toString('base64url');
    const sessionId = await this.users.openSession(user.id, sha256(cookie), csrfSecret, this.config.admin.sessionTtlMinutes);
    return {
      cookie,
      identity: { kind: 'session', role: user.role, actor: `user:${user.username}`, userId: user.id, tokenId: null, username: user.username, sessionId, csrfSecret },
    };
  }

  /**
   * Resolves a session cookie: not revoked, not past its absolute lifetime, used within the idle
   * timeout, and its user not disabled. Touches `last_seen_at` at most once a minute.
   */
  async session(cookie: string): Promise<AdminIdentity | null> {
    const r = await this.users.liveSession(sha256(cookie), this.config.admin.sessionIdleMinutes);
    if (!r) return null;
    if (r.stale) await this.users.touchSession(r.id);
    return { kind: 'session', role: r.role, actor: `user:${r.username}`, userId: r.user_id, tokenId: null, username: r.username, sessionId: r.id, csrfSecret: r.csrf_secret };
  }

  /** Ends a session (logout). */
  async logout(sessionId: string): Promise<void> {
    await this.users.revokeSession(sessionId);
  }

  /**
   * Creates an admin API token for automation.
   * @returns the secret — the only time it is visible; only its SHA-256 is stored.
   */
  async createToken(name: string, role: AdminRole, createdBy: string | null = null): Promise<{ id: string; token: string; prefix: string }> {
    if (!ADMIN_ROLES.includes(role)) throw new AdminUserError(`role must be one of ${ADMIN_ROLES.join(', ')}`);
    if (!/^[\w.-]{1,64}$/.test(name)) throw new AdminUserError('token name must be 1-64 characters: letters, digits, ".", "_", "-"');
    const token = `${ADMIN_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const prefix = token.slice(0, 12);
    const id = await this.users.insertToken(name, prefix, sha256(token), role, createdBy);
    return { id, token, prefix };
  }

  /** Revokes a token by its prefix or id. @returns false when nothing was revoked. */
  async revokeToken(prefixOrId: string): Promise<boolean> {
    return this.users.revokeToken(prefixOrId);
  }

  /** Resolves an admin API token (`tga_…`), or null. Never logs or stores the secret. */
  async token(secret: string): Promise<AdminIdentity | null> {
    if (!secret.startsWith(ADMIN_TOKEN_PREFIX)) return null;
    const r = await this.users.liveToken(sha256(secret));
    if (!r) return null;
    if (r.stale) await this.users.touchToken(r.id);
    return { kind: 'token', role: r.role, actor: `token:${r.name}`, userId: null, tokenId: r.id, username: null };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= argon2.hash(DUMMY_HASH_INPUT, { type: argon2.argon2id });
    return this.dummyHash;
  }
}
