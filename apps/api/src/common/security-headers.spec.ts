import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CONSOLE_CSP, QUEUE_VIEW_CSP, securityHeaders } from './security-headers';

/** Headers of a GET answer, without the ones that vary per response. */
async function headersOf(handler: RequestHandler, path: string): Promise<Record<string, string>> {
  const app = express();
  app.disable('x-powered-by');
  app.use(handler);
  app.use((_req, res) => void res.json({ ok: true }));
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
    await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!['date', 'etag', 'connection', 'keep-alive', 'content-length'].includes(k)) out[k] = v;
    });
    return out;
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** helmet run on every request, chosen by path: what securityHeaders did before it replayed helmet's output. */
function helmetPerRequest(): RequestHandler {
  const common = { strictTransportSecurity: false, frameguard: { action: 'deny' as const } };
  const queueView = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: QUEUE_VIEW_CSP } });
  const consolePages = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP } });
  const api = helmet({ ...common, contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } } });
  return (req, res, next) => {
    const p = req.path;
    (p === '/admin/queues' || p.startsWith('/admin/queues/') ? queueView : p === '/admin' || p.startsWith('/admin/') ? consolePages : api)(req, res, next);
  };
}

describe('securityHeaders', () => {
  it.each(['/verify', '/settle', '/docs', '/v1/merchant/payments', '/admin', '/admin/payments/x', '/admin/queues', '/admin/queues/api/queues'])(
    '%s: exactly the headers helmet sets',
    async (path) => {
      const replayed = await headersOf(securityHeaders(), path);
      expect(replayed).toEqual(await headersOf(helmetPerRequest(), path));
      expect(replayed).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
      expect(replayed['content-security-policy']).toContain("frame-ancestors 'none'");
    },
  );
});
