import {
  ArgumentsHost,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  HttpException,
  Inject,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { PAYMENT_STATUSES } from '@tollgate/persistence';
import { listReasonCodes } from '@tollgate/protocol';
import { AdminActionsService } from './admin-actions.service';
import { AdminAuditService } from './admin-audit.service';
import { AdminQueriesService } from './admin-queries.service';
import { AdminAuthGuard, AdminPublic, AdminRequest, AdminRoleRequired, ADMIN_SESSION_COOKIE } from './auth/admin-auth.guard';
import { AdminAuthService } from './auth/admin-auth.service';
import { AdminLoginThrottle } from './auth/admin-login-throttle';
import { ADMIN_CSRF_COOKIE, AdminCsrf } from './auth/admin-csrf';
import { AdminViews, PageContext } from './views/admin-views';
import { CONSOLE_CSS, TEMPLATES } from './views/templates';

import { parseInput } from '../merchant-api/validation';
import { assetParam, auditQuery, batchesQuery, createMerchantBody, deliveriesQuery, failuresQuery, idParam, networkParam, paymentRefParam, paymentsQuery, reasonBody } from './admin-input';
import { logSafeError } from '@tollgate/evm';

/** One-shot message shown on the page after a redirect (never reflected from the URL). */
const FLASH_COOKIE = 'tg_admin_flash';

/** Pico CSS read once from the package (served locally: the console works offline). */
let picoCss: string | undefined;
function pico(): string {
  picoCss ??= readFileSync(require.resolve('@picocss/pico/css/pico.min.css'), 'utf8');
  return picoCss;
}

function requestId(req: AdminRequest): string | undefined {
  return req.id === undefined ? undefined : String(req.id);
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
 * Renders console errors as pages: a missing or expired session goes to the login page; 403/404/409 and
 * the rest become an error page in the console layout (status code kept).
 */
@Catch()
export class AdminPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminConsole');

  constructor(private readonly views: AdminViews) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<AdminRequest>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    if (status === 401) {
      res.redirect(303, `/admin/login?next=${encodeURIComponent(req.method === 'GET' ? req.originalUrl : '/admin')}`);
      return;
    }
    if (status >= 500) this.logger.error(`console error on ${req.method} ${req.path}: ${logSafeError(exception)}`);
    const message =
      exception instanceof HttpException
        ? (() => {
            const r = exception.getResponse();
            return typeof r === 'string' ? r : String((r as { message?: unknown }).message ?? exception.message);
          })()
        : 'internal error';
    const heading = ({ 400: 'Bad request', 403: 'Not allowed', 404: 'Not found', 409: 'Not possible right now' } as Record<number, string>)[status] ?? 'Error';
    res
      .status(status)
      .type('html')
      .send(this.views.render('error', { title: heading, section: '', admin: req.admin, csrf: '' }, { status, heading, message: status >= 500 ? 'Something went wrong; see the API logs.' : message }));
  }
}

/**
 * The operator console: server-rendered pages under `/admin` (overview, payments, batches, failures,
 * webhooks, merchants, audit log) and their form actions. Reads need any admin; actions need the
 * operator role and the session's CSRF token ({@link AdminAuthGuard}).
 */
@ApiExcludeController()
@Controller('admin')
@UseGuards(AdminAuthGuard)
@UseFilters(AdminPageFilter)
export class AdminPagesController {
  private readonly logger = new Logger(AdminPagesController.name);

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly auth: AdminAuthService,
    private readonly csrf: AdminCsrf,
    private readonly views: AdminViews,
    private readonly queries: AdminQueriesService,
    private readonly actions: AdminActionsService,
    private readonly audit: AdminAuditService,
    private readonly throttle: AdminLoginThrottle,
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

  @Get('login')
  @AdminPublic()
  async loginPage(@Req() req: AdminRequest, @Res() res: Response, @Query('next') next?: string): Promise<void> {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[ADMIN_SESSION_COOKIE];
    if (cookie && (await this.auth.session(cookie))) return res.redirect(303, safeNext(next));
    this.send(req, res, 'login', 'Sign in', '', { next: safeNext(next) });
  }

  /**
   * Login has no session to bind a CSRF token to; it is protected instead by refusing cross-site posts
   * (`Origin`/`Sec-Fetch-Site`) — and the session cookie it sets is SameSite=Strict.
   */
  @Post('login')
  @AdminPublic()
  async login(@Req() req: AdminRequest, @Res() res: Response, @Body() rawBody: unknown = {}): Promise<void> {
    if (!this.sameOrigin(req)) return this.flashRedirect(res, '/admin/login', { error: 'Cross-site sign-in refused.' });
    const parsed = LOGIN_FORM.safeParse(rawBody ?? {});
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? 'body');
      res.status(400);
      return this.send(req, res, 'login', 'Sign in', '', { next: '/admin' }, { error: `Sign-in needs one ${field === 'password' ? 'password' : field === 'next' ? 'return path' : 'username'} in plain text (field ${field}).` });
    }
    const body = parsed.data;
    const username = body.username.trim().toLowerCase();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const gate = await this.throttle.attempt(address, username);
    if (!gate.allowed) {
      this.logger.warn(`sign-in throttled (${gate.scope}) for ${address}`);
      res.status(429).set('retry-after', String(gate.retryAfterSeconds));
      return this.send(req, res, 'login', 'Sign in', '', { next: safeNext(body.next) }, { error: `Too many failed sign-ins from your address. Try again in ${gate.retryAfterSeconds} s.` });
    }
    const result = await this.auth.login(username, body.password);
    if (!result) {
      // Bounded by the throttle above, so an attacker cannot flood the audit log through this path.
      await this.audit.record(
        { actor: 'anonymous' },
        { action: 'admin.login_failed', targetType: 'admin_user', targetId: username, detail: { address }, requestId: requestId(req) },
      );
      res.status(401);
      return this.send(req, res, 'login', 'Sign in', '', { next: safeNext(body.next) }, { error: 'Wrong username or password.' });
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

  @Get()
  async overview(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    this.send(req, res, 'overview', 'Overview', 'overview', { ...(await this.queries.overview()), canAct: this.canAct(req) });
  }

  @Get('payments')
  async payments(@Req() req: AdminRequest, @Res() res: Response, @Query() query: Record<string, string>): Promise<void> {
    const filter = { ...parseInput(paymentsQuery, query, 'query'), limit: 50 };
    const result = await this.queries.payments(filter);
    // Validated above: every known key is a single string; unknown keys are not echoed into links.
    const q = query;
    const raw = Object.fromEntries(Object.entries(q).filter(([k, v]) => k in paymentsQuery.shape && k !== 'offset' && k !== 'limit' && v));
    this.send(req, res, 'payments', 'Payments', 'payments', {
      ...result,
      f: { ...filter, raw, fromInput: q.from ?? '', toInput: q.to ?? '' },
      statuses: PAYMENT_STATUSES,
      reasons: listReasonCodes().filter((r) => r.source !== 'spec').map((r) => r.code),
      networks: this.config.networks.map((n) => n.network),
      decimals: this.decimals,
    });
  }

  @Get('payments/:ref')
  async payment(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    const d = await this.queries.payment(ref);
    if (!d) return this.notFound(req, res, `No payment ${ref}.`);
    const audit = await this.audit.list({ targetType: 'payment', targetId: d.payment.reference, limit: 50 });
    this.send(req, res, 'payment', `Payment ${d.payment.reference}`, 'payments', { d, audit, canAct: this.canAct(req), decimals: this.decimals });
  }

  @Post('payments/:ref/retry')
  @AdminRoleRequired('operator')
  async retry(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    return this.act(res, `/admin/payments/${encodeURIComponent(ref)}`, () => this.actions.retry(req.admin!, ref, requestId(req)));
  }

  @Post('payments/:ref/void')
  @AdminRoleRequired('operator')
  async void(@Req() req: AdminRequest, @Res() res: Response, @Param('ref') rawRef: string, @Body() body: unknown): Promise<void> {
    const ref = parseInput(paymentRefParam, rawRef, 'ref');
    const { reason } = parseInput(reasonBody, body);
    return this.act(res, `/admin/payments/${encodeURIComponent(ref)}`, () => this.actions.void(req.admin!, ref, reason ?? '', requestId(req)));
  }

  @Post('lanes/:network/:asset/pause')
  @AdminRoleRequired('operator')
  async pause(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string, @Body() body: unknown): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    const { reason } = parseInput(reasonBody, body);
    return this.act(res, '/admin', () => this.actions.pauseLane(req.admin!, network, asset, reason, requestId(req)));
  }

  @Post('lanes/:network/:asset/resume')
  @AdminRoleRequired('operator')
  async resume(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    return this.act(res, '/admin', () => this.actions.resumeLane(req.admin!, network, asset, requestId(req)));
  }

  @Post('lanes/:network/:asset/flush')
  @AdminRoleRequired('operator')
  async flush(@Req() req: AdminRequest, @Res() res: Response, @Param('network') rawNetwork: string, @Param('asset') rawAsset: string): Promise<void> {
    const [network, asset] = [parseInput(networkParam, rawNetwork, 'network'), parseInput(assetParam, rawAsset, 'asset')];
    return this.act(res, '/admin', () => this.actions.flushLane(req.admin!, network, asset, requestId(req)));
  }

  @Get('batches')
  async batches(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const { status, offset } = parseInput(batchesQuery, query, 'query');
    const rows = await this.queries.batches({ status, offset, limit: 50 });
    this.send(req, res, 'batches', 'Batches', 'batches', { rows, status: status ?? '', offset });
  }

  @Get('batches/:id')
  async batch(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    const d = await this.queries.batch(id);
    if (!d) return this.notFound(req, res, `No batch ${id}.`);
    const audit = await this.audit.list({ targetType: 'batch', targetId: id, limit: 50 });
    this.send(req, res, 'batch', 'Batch', 'batches', { d, audit, canAct: this.canAct(req), decimals: this.decimals });
  }

  @Post('batches/:id/replace')
  @AdminRoleRequired('operator')
  async replace(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.act(res, `/admin/batches/${encodeURIComponent(id)}`, () => this.actions.replaceBatch(req.admin!, id, requestId(req)));
  }

  @Get('failures')
  async failures(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    this.send(req, res, 'failures', 'Failures', 'failures', await this.queries.failures(parseInput(failuresQuery, query, 'query').hours));
  }

  @Get('webhooks')
  async webhooks(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const available = await this.queries.hasWebhookTables();
    const { merchant, endpoint, status } = parseInput(deliveriesQuery, query, 'query');
    const f = { merchant, endpoint, status };
    const rows = available ? await this.queries.webhookDeliveries({ ...f, limit: 100 }) : [];
    const merchants = await this.queries.merchants();
    this.send(req, res, 'webhooks', 'Webhook deliveries', 'webhooks', { available, rows, f, merchants, canAct: this.canAct(req), canReplay: available });
  }

  @Post('webhooks/deliveries/:id/replay')
  @AdminRoleRequired('operator')
  async replay(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.act(res, '/admin/webhooks', () => this.actions.replayDelivery(req.admin!, id, requestId(req)));
  }

  @Get('merchants')
  async merchants(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    this.send(req, res, 'merchants', 'Merchants', 'merchants', { rows: await this.queries.merchants(), canAct: this.canAct(req) });
  }

  @Post('merchants')
  @AdminRoleRequired('operator')
  async createMerchant(@Req() req: AdminRequest, @Res() res: Response, @Body() body: unknown): Promise<void> {
    try {
      const created = await this.actions.createMerchant(req.admin!, parseInput(createMerchantBody, body), requestId(req));
      const m = await this.queries.merchant(created.merchantId);
      // The key is rendered into this one response and never stored in clear: no redirect, no flash.
      res.set('cache-control', 'no-store');
      this.send(req, res, 'merchant', m!.merchant.name, 'merchants', { m, apiKey: created.apiKey, canAct: this.canAct(req) }, { notice: created.message });
    } catch (e) {
      if (e instanceof HttpException && e.getStatus() < 500) return this.flashRedirect(res, '/admin/merchants', { error: messageOf(e) });
      throw e;
    }
  }

  @Get('merchants/:id')
  async merchant(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    const m = await this.queries.merchant(id);
    if (!m) return this.notFound(req, res, `No merchant ${id}.`);
    this.send(req, res, 'merchant', m.merchant.name, 'merchants', { m, apiKey: null, canAct: this.canAct(req) });
  }

  @Post('merchants/:id/suspend')
  @AdminRoleRequired('operator')
  async suspend(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.act(res, `/admin/merchants/${encodeURIComponent(id)}`, () => this.actions.setMerchantStatus(req.admin!, id, 'suspended', requestId(req)));
  }

  @Post('merchants/:id/activate')
  @AdminRoleRequired('operator')
  async activate(@Req() req: AdminRequest, @Res() res: Response, @Param('id') rawId: string): Promise<void> {
    const id = parseInput(idParam, rawId, 'id');
    return this.act(res, `/admin/merchants/${encodeURIComponent(id)}`, () => this.actions.setMerchantStatus(req.admin!, id, 'active', requestId(req)));
  }

  @Get('audit')
  async auditLog(@Req() req: AdminRequest, @Res() res: Response, @Query() query: unknown): Promise<void> {
    const o = parseInput(auditQuery, query, 'query').offset;
    this.send(req, res, 'audit', 'Audit log', 'audit', { rows: await this.audit.list({ limit: 100, offset: o }), offset: o });
  }

  private readonly decimals = (network: string, asset: string): number | null =>
    this.config.networks.find((n) => n.network === network)?.assets.find((a) => a.address.toLowerCase() === asset)?.decimals ?? null;

  private canAct(req: AdminRequest): boolean {
    return req.admin?.role === 'operator';
  }

  /** Runs an action and redirects back with its outcome as a one-shot message (POST/redirect/GET). */
  private async act(res: Response, back: string, fn: () => Promise<{ message: string }>): Promise<void> {
    try {
      const r = await fn();
      this.flashRedirect(res, back, { notice: r.message });
    } catch (e) {
      // Refusals (409 and friends) are shown on the page the operator came from.
      if (e instanceof HttpException && e.getStatus() < 500 && e.getStatus() !== 403) {
        return this.flashRedirect(res, back, { error: messageOf(e) });
      }
      throw e;
    }
  }

  private flashRedirect(res: Response, to: string, flash: { notice?: string; error?: string }): void {
    res.cookie(FLASH_COOKIE, JSON.stringify(flash).slice(0, 1500), { httpOnly: true, sameSite: 'strict', secure: this.config.admin.cookieSecure, path: '/admin', maxAge: 60_000 });
    res.redirect(303, to);
  }

  private notFound(req: AdminRequest, res: Response, message: string): void {
    res.status(404);
    this.send(req, res, 'error', 'Not found', '', { status: 404, heading: 'Not found', message });
  }

  private send(req: AdminRequest, res: Response, view: keyof typeof TEMPLATES, title: string, section: string, data: Record<string, unknown>, flash: { notice?: string; error?: string } = {}): void {
    const stored = this.takeFlash(req, res);
    const ctx: PageContext = { title, section, admin: req.admin, csrf: this.csrf.token(req as Request, res), notice: flash.notice ?? stored.notice, error: flash.error ?? stored.error };
    res.set('cache-control', 'no-store').type('html').send(this.views.render(view, ctx, data));
  }

  private takeFlash(req: AdminRequest, res: Response): { notice?: string; error?: string } {
    const raw = (req.cookies as Record<string, string> | undefined)?.[FLASH_COOKIE];
    if (!raw) return {};
    res.clearCookie(FLASH_COOKIE, { path: '/admin' });
    try {
      const v = JSON.parse(raw) as { notice?: unknown; error?: unknown };
      return { notice: typeof v.notice === 'string' ? v.notice : undefined, error: typeof v.error === 'string' ? v.error : undefined };
    } catch {
      return {};
    }
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

function messageOf(e: HttpException): string {
  const r = e.getResponse();
  return typeof r === 'string' ? r : String((r as { message?: unknown }).message ?? e.message);
}
