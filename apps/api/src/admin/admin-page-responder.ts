import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { logSafeError } from '@tollgate/evm';
import { AdminRequest } from './auth/admin-auth.guard';
import { AdminCsrf } from './auth/admin-csrf';
import { AdminViews, PageContext, TokenInfo } from './views/admin-views';
import { TEMPLATES } from './views/templates';
import { workerSignalOf } from './worker-banner.interceptor';

/** One-shot message shown on the page after a redirect (never reflected from the URL). */
const FLASH_COOKIE = 'tg_admin_flash';

/** The request id pino-http gave the request, as text for the audit log. */
export function requestId(req: AdminRequest): string | undefined {
  return req.id === undefined ? undefined : String(req.id);
}

/** The message of an HTTP exception, as shown to the operator. */
export function messageOf(e: HttpException): string {
  const r = e.getResponse();
  return typeof r === 'string' ? r : String((r as { message?: unknown }).message ?? e.message);
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
    if (status >= 500 && status !== 503) this.logger.error(`console error on ${req.method} ${req.path}: ${logSafeError(exception)}`);
    const message =
      exception instanceof HttpException
        ? (() => {
            const r = exception.getResponse();
            return typeof r === 'string' ? r : String((r as { message?: unknown }).message ?? exception.message);
          })()
        : 'internal error';
    const heading = ({ 400: 'Bad request', 403: 'Not allowed', 404: 'Not found', 409: 'Not possible right now', 503: 'Temporarily unavailable' } as Record<number, string>)[status] ?? 'Error';
    // A 503 (a console read past its statement timeout, an action the worker could not carry out) says
    // what happened; other 5xx stay generic.
    const shown = status >= 500 && status !== 503 ? 'Something went wrong; see the API logs.' : message;
    res
      .status(status)
      .type('html')
      .send(this.views.render('error', { title: heading, section: '', admin: req.admin, csrf: '' }, { status, heading, message: shown }));
  }
}

/**
 * How every console page answers: renders a page in the layout (with the CSRF token and the one-shot
 * flash message), redirects after a form action with its outcome (POST/redirect/GET), and answers 404.
 */
@Injectable()
export class AdminPageResponder {
  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly csrf: AdminCsrf,
    private readonly views: AdminViews,
  ) {}

  /** Decimals of a configured asset (null when the lane is not served), for amounts in templates. */
  readonly decimals = (network: string, asset: string): number | null =>
    this.config.networks.find((n) => n.network === network)?.assets.find((a) => a.address.toLowerCase() === asset)?.decimals ??
    // Solana mints are base58: matched as stored.
    this.config.solanaNetworks?.find((n) => n.network === network)?.assets.find((a) => a.address === asset)?.decimals ??
    null;

  /** Symbol and decimals of a configured asset (null when the lane is not served), for `it.h.money` in templates. */
  readonly token = (network: string, asset: string): TokenInfo | null => {
    const a = this.config.networks.find((n) => n.network === network)?.assets.find((x) => x.address.toLowerCase() === asset.toLowerCase());
    return a ? { symbol: a.symbol, decimals: a.decimals } : null;
  };

  /** True when the caller may act (operator role). */
  canAct(req: AdminRequest): boolean {
    return req.admin?.role === 'operator';
  }

  /** Runs an action and redirects back with its outcome as a one-shot message (POST/redirect/GET). */
  async act(res: Response, back: string, fn: () => Promise<{ message: string }>): Promise<void> {
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

  /** 303 to `to`, carrying `flash` in a short-lived cookie shown once by the next page. */
  flashRedirect(res: Response, to: string, flash: { notice?: string; error?: string }): void {
    res.cookie(FLASH_COOKIE, JSON.stringify(flash).slice(0, 1500), { httpOnly: true, sameSite: 'strict', secure: this.config.admin.cookieSecure, path: '/admin', maxAge: 60_000 });
    res.redirect(303, to);
  }

  /** The console's 404 page with `message`. */
  notFound(req: AdminRequest, res: Response, message: string): void {
    res.status(404);
    this.send(req, res, 'error', 'Not found', '', { status: 404, heading: 'Not found', message });
  }

  /** Renders `view` in the layout (never cached); `flash` wins over a stored one-shot message. */
  send(req: AdminRequest, res: Response, view: keyof typeof TEMPLATES, title: string, section: string, data: Record<string, unknown>, flash: { notice?: string; error?: string } = {}): void {
    const stored = this.takeFlash(req, res);
    const ctx: PageContext = {
      title,
      section,
      admin: req.admin,
      csrf: this.csrf.token(req as Request, res),
      notice: flash.notice ?? stored.notice,
      error: flash.error ?? stored.error,
      workers: workerSignalOf(req),
    };
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
}
