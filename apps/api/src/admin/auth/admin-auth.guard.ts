import { CanActivate, createParamDecorator, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AdminAuthService, AdminIdentity, AdminRole } from './admin-auth.service';
import { AdminCsrf } from './admin-csrf';

/** Cookie holding the admin session secret (httpOnly, SameSite=Strict, Secure outside development). */
export const ADMIN_SESSION_COOKIE = 'tg_admin_session';

/** An Express request on an admin route, once {@link AdminAuthGuard} has identified the caller. */
export type AdminRequest = Request & { admin?: AdminIdentity; id?: string | number };

const ROLE_KEY = 'tollgate:admin-role';
const PUBLIC_KEY = 'tollgate:admin-public';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The role a route needs (default `viewer`). */
export const AdminRoleRequired = (role: AdminRole) => SetMetadata(ROLE_KEY, role);

/** Marks an admin route that needs no identity (the login page). */
export const AdminPublic = () => SetMetadata(PUBLIC_KEY, true);

/** The caller of an admin route (set by {@link AdminAuthGuard}). */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminIdentity => {
  const admin = ctx.switchToHttp().getRequest<AdminRequest>().admin;
  if (!admin) throw new UnauthorizedException();
  return admin;
});

/**
 * Resolves an admin session or API token, and otherwise refuses before any handler runs:
 * - `Authorization: Bearer …` must be an admin API token (`tga_…`); anything else there — a merchant key
 *   in particular — is 401 even if a session cookie is also present. Token callers need no CSRF token
 *   (a browser never attaches the header on its own).
 * - otherwise the session cookie; every unsafe method of a session must carry the CSRF token
 *   (double-submit, bound to the session) in `x-csrf-token` or the form field `_csrf`, else 403.
 * - routes marked {@link AdminRoleRequired}('operator') refuse viewers with 403.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AdminAuthService,
    private readonly csrf: AdminCsrf,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<AdminRequest>();
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const identity = await identifyAdmin(this.auth, req);
    if (!identity) throw new UnauthorizedException('sign in at /admin/login, or send an admin API token');
    req.admin = identity;
    if (!SAFE_METHODS.has(req.method) && identity.kind === 'session' && !this.csrf.valid(req)) {
      throw new ForbiddenException('invalid or missing CSRF token');
    }
    const required = this.reflector.getAllAndOverride<AdminRole>(ROLE_KEY, targets) ?? 'viewer';
    if (required === 'operator' && identity.role !== 'operator') throw new ForbiddenException('this action needs the operator role');
    return true;
  }
}

/**
 * Who is calling, from the request alone (also used by the Bull Board middleware).
 * @throws UnauthorizedException for an Authorization header that is not a live admin API token.
 */
export async function identifyAdmin(auth: AdminAuthService, req: Request): Promise<AdminIdentity | null> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const identity = m ? await auth.token(m[1]) : null;
    if (!identity) throw new UnauthorizedException('admin routes accept only admin API tokens (tga_…) or an admin session; merchant keys are refused');
    return identity;
  }
  const cookie = (req.cookies as Record<string, string> | undefined)?.[ADMIN_SESSION_COOKIE];
  return cookie ? auth.session(cookie) : null;
}
