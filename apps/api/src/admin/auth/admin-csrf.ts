import { Inject, Injectable } from '@nestjs/common';
import { doubleCsrf, DoubleCsrfUtilities } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import type { AdminIdentity } from './admin-auth.service';

/** Cookie half of the double-submit CSRF token. */
export const ADMIN_CSRF_COOKIE = 'tg_admin_csrf';
/** Header (fetch/automation) and form field (HTML forms) carrying the other half. */
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

type WithAdmin = Request & { admin?: AdminIdentity };

/**
 * CSRF protection for admin sessions (csrf-csrf, signed double-submit): the token is an HMAC over the
 * session id with that session's own random secret (stored with the session, so every API process agrees
 * and logging out kills every token). A request must carry it both in the cookie and in `x-csrf-token` or
 * the `_csrf` form field. SameSite=Strict cookies are the second line of defence.
 */
@Injectable()
export class AdminCsrf {
  private readonly utils: DoubleCsrfUtilities;

  constructor(@Inject(TOLLGATE_CONFIG) config: TollgateConfig) {
    this.utils = doubleCsrf({
      getSecret: (req) => (req as WithAdmin | undefined)?.admin?.csrfSecret ?? '',
      getSessionIdentifier: (req) => (req as WithAdmin).admin?.sessionId ?? '',
      cookieName: ADMIN_CSRF_COOKIE,
      cookieOptions: { sameSite: 'strict', secure: config.admin.cookieSecure, httpOnly: true, path: '/admin' },
      getCsrfTokenFromRequest: (req) => {
        const header = req.headers[CSRF_HEADER];
        if (typeof header === 'string' && header) return header;
        const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
        return typeof field === 'string' ? field : undefined;
      },
    });
  }

  /** A token for the current session's forms (sets the cookie half when needed). */
  token(req: Request, res: Response): string {
    const admin = (req as WithAdmin).admin;
    if (!admin || admin.kind !== 'session') return '';
    return this.utils.generateCsrfToken(req, res);
  }

  /** True when the request carries a valid token for its session. */
  valid(req: Request): boolean {
    const admin = (req as WithAdmin).admin;
    if (!admin?.csrfSecret || !admin.sessionId) return false;
    try {
      return this.utils.validateRequest(req);
    } catch {
      return false;
    }
  }
}
