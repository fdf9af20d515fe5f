import { Body, Controller, Get, Inject, Logger, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { AdminAuditService } from './admin-audit.service';
import { AdminPageFilter, AdminPageResponder, requestId } from './admin-page-responder';
import { AdminAuthGuard, AdminPublic, AdminRequest, ADMIN_SESSION_COOKIE } from './auth/admin-auth.guard';
import { AdminAuthService } from './auth/admin-auth.service';
import { AdminLoginThrottle } from './auth/admin-login-throttle';
import { ADMIN_CSRF_COOKIE } from './auth/admin-csrf';
import { CONSOLE_CSS, FAVICON_SVG } from './views/templates';

/** Pico CSS read once from the package (served locally: the console works offline). */
let picoCss: string | undefined;
function pico(): string {
  picoCss ??= readFileSync(require.resolve('@picocss/pico/css/pico.min.css'), 'utf8');
  return picoCss;
}

/** Printable text without control characters (a NUL would reach Postgres as an error). */
const formText = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

/**
 * The sign-in form: exactly one string per field (`username=a&username=b` parses as an array, JSON may
 * send numbers); anything else is a 400 naming the field, never a 500.
 */
const LOGIN_FORM = z.object({ username: formText(256), password: formText(1024), next: z.string().max(2048).optional() });

/** Only same-site paths under /admin may be redirect targets after login. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/admin';
}

/**
 * The console's door: its stylesheets (public), the sign-in page and form (public, throttled, audited)
 * and sign-out. The pages behind it are {@link AdminPagesController}.
 */
@ApiExcludeController()
@Controller('admin')
@UseGuards(AdminAuthGuard)
@UseFilters(AdminPageFilter)
export class AdminSignInController {
  // The name the console's sign-in warnings were always logged under.
  private readonly logger = new Logger('AdminPagesController');

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly auth: AdminAuthService,
    private readonly audit: AdminAuditService,
    private readonly throttle: AdminLoginThrottle,
    private readonly page: AdminPageResponder,
  ) {}

  @Get('assets/pico.min.css')
  @AdminPublic()
  picoCss(@Res() res: Response): void {
    res.type('text/css').set('cache-control', 'public, max-age=3600').send(pico());
  }

  @Get('assets/console.css')
  @AdminPublic()
  consoleCss(@Res() res: Response): void {
    res.type('text/css').set('cache-control', 'public, max-age=300').send(CONSOLE_CSS);
  }

  @Get('assets/favicon.svg')
  @AdminPublic()
  favicon(@Res() res: Response): void {
    res.type('image/svg+xml').set('cache-control', 'public, max-age=86400').send(FAVICON_SVG);
  }

  @Get('login')
  @AdminPublic()
  async loginPage(@Req() req: AdminRequest, @Res() res: Response, @Query('next') next?: string): Promise<void> {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[ADMIN_SESSION_COOKIE];
    if (cookie && (await this.auth.session(cookie))) return res.redirect(303, safeNext(next));
    this.page.send(req, res, 'login', 'Sign in', '', { next: safeNext(next) });
  }

  /**
   * Login has no session to bind a CSRF token to; it is protected instead by refusing cross-site posts
   * (`Origin`/`Sec-Fetch-Site`) — and the session cookie it sets is SameSite=Strict.
   */
  @Post('login')
  @AdminPublic()
  async login(@Req() req: AdminRequest, @Res() res: Response, @Body() rawBody: unknown = {}): Promise<void> {
    if (!this.sameOrigin(req)) return this.page.flashRedirect(res, '/admin/login', { error: 'Cross-site sign-in refused.' });
    const parsed = LOGIN_FORM.safeParse(rawBody ?? {});
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? 'body');
      res.status(400);
      return this.page.send(req, res, 'login', 'Sign in', '', { next: '/admin' }, { error: `Sign-in needs one ${field === 'password' ? 'password' : field === 'next' ? 'return path' : 'username'} in plain text (field ${field}).` });
    }
    const body = parsed.data;
    const username = body.username.trim().toLowerCase();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const gate = await this.throttle.attempt(address, username);
    if (!gate.allowed) {
      this.logger.warn(`sign-in throttled (${gate.scope}) for ${address}`);
      res.status(429).set('retry-after', String(gate.retryAfterSeconds));
      return this.page.send(req, res, 'login', 'Sign in', '', { next: safeNext(body.next) }, { error: `Too many failed sign-ins from your address. Try again in ${gate.retryAfterSeconds} s.` });
    }
    const result = await this.auth.login(username, body.password);
    if (!result) {
      // Bounded by the throttle above, so an attacker cannot flood the audit log through this path.
      await this.audit.record(
        { actor: 'anonymous' },
        { action: 'admin.login_failed', targetType: 'admin_user', targetId: username, detail: { address }, requestId: requestId(req) },
      );
      res.status(401);
      return this.page.send(req, res, 'login', 'Sign in', '', { next: safeNext(body.next) }, { error: 'Wrong username or password.' });
    }
    await this.throttle.succeeded(address, username);
    await this.audit.record(result.identity, { action: 'admin.login', targetType: 'admin_user', targetId: result.identity.username ?? undefined, requestId: requestId(req) });
    res.cookie(ADMIN_SESSION_COOKIE, result.cookie, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.admin.cookieSecure,
      path: '/admin',
      maxAge: this.config.admin.sessionTtlMinutes * 60_000,
    });
    res.redirect(303, safeNext(body.next));
  }

  @Post('logout')
  async logout(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    const admin = req.admin!;
    if (admin.sessionId) {
      await this.auth.logout(admin.sessionId);
      await this.audit.record(admin, { action: 'admin.logout', targetType: 'admin_user', targetId: admin.username ?? undefined, requestId: requestId(req) });
    }
    res.clearCookie(ADMIN_SESSION_COOKIE, { path: '/admin' });
    res.clearCookie(ADMIN_CSRF_COOKIE, { path: '/admin' });
    res.redirect(303, '/admin/login');
  }

  /** A browser's own form post carries a same-origin `Origin` (or `Sec-Fetch-Site: same-origin`). */
  private sameOrigin(req: Request): boolean {
    const site = req.headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
    const origin = req.headers.origin;
    if (!origin || origin === 'null') return typeof site === 'string' || !origin;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
}
