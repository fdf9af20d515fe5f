import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** Where Bull Board is served (kept in step with admin.module's BULL_BOARD_ROUTE; common/ must not import admin/). */
const QUEUE_VIEW_PREFIX = '/admin/queues';

/**
 * The operator console's Content-Security-Policy: no script at all runs from an inline block or attribute
 * (the console works without JavaScript; the overview refreshes with a meta refresh), styles and images
 * only from the API itself (Pico's select chevrons are `data:` images), forms post only to the API, and
 * no site may frame the console (clickjacking an operator into pressing "Void").
 */
export const CONSOLE_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/**
 * Bull Board's single-page UI: its scripts are files (`script-src 'self'` holds) but React sets inline
 * styles, so styles need 'unsafe-inline'. Its Google Fonts stylesheet is not allowed (the console works
 * offline; the UI falls back to system fonts). Never framed either.
 */
export const QUEUE_VIEW_CSP = {
  ...CONSOLE_CSP,
  // Its page sets <base href> to resolve its static files.
  baseUri: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
};

/**
 * Security headers for every response, as helmet 8 computes them (once, see {@link replayable}), chosen by path:
 * - `/admin/queues…` (Bull Board): {@link QUEUE_VIEW_CSP};
 * - the rest of `/admin…` (console pages and the admin API): {@link CONSOLE_CSP};
 * - everything else (the x402 and merchant JSON API, `/docs`): helmet's defaults, whose CSP allows what
 *   Swagger UI needs (scripts from the API, inline styles), with framing refused.
 * All of them send `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`
 * and the other helmet defaults. HSTS is left to the TLS-terminating proxy (the API itself speaks plain
 * HTTP on loopback in development, where a pinned HSTS would break other local services on the host).
 */
export function securityHeaders(): RequestHandler {
  const common = { strictTransportSecurity: false, frameguard: { action: 'deny' as const } };
  const queueView = replayable(helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: QUEUE_VIEW_CSP } }));
  const consolePages = replayable(helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP } }));
  const api = replayable(helmet({ ...common, contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } } }));
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const headers = path === QUEUE_VIEW_PREFIX || path.startsWith(`${QUEUE_VIEW_PREFIX}/`) ? queueView : path === '/admin' || path.startsWith('/admin/') ? consolePages : api;
    for (const op of headers) {
      if (op.length === 2) res.setHeader(op[0], op[1]);
      else res.removeHeader(op[0]);
    }
    next();
  };
}

/** A header helmet sets (name, value) or removes (name). */
type HeaderOp = [string, string] | [string];

/**
 * What a helmet middleware does to a response, recorded once: with static directives (no nonce, nothing read
 * from the request) it sets the same headers on every response, so replaying the record gives the same answer
 * without helmet's eleven-middleware chain per request (measured ≈ 1 % of the API's CPU under /verify load).
 * @throws when the middleware does anything but set or remove headers (then it is not replayable).
 */
export function replayable(middleware: (req: never, res: never, next: (err?: unknown) => void) => void): HeaderOp[] {
  const ops: HeaderOp[] = [];
  const res = {
    setHeader: (name: string, value: unknown) => void ops.push([name, String(value)]),
    removeHeader: (name: string) => void ops.push([name]),
  };
  let done = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, res as never, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('security headers: the middleware did not finish synchronously; it cannot be replayed');
  return ops;
}
