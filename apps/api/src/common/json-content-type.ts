import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * Express middleware run before the body parsers: a request that carries a body on any route but the
 * operator console (which posts HTML forms under `/admin`) must say `content-type: application/json`.
 * Without it the body would be read as a form (curl's `-d` default) or not at all, and the request would
 * fail later with a misleading "x402Version: missing"; instead it gets 415 naming the header.
 */
export function requireJsonContentType(req: Request, _res: Response, next: NextFunction): void {
  if (req.path === '/admin' || req.path.startsWith('/admin/')) return next();
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.is(['application/json', '+json'])) return next();
  const sent = req.headers['content-type'];
  next(
    new UnsupportedMediaTypeException({
      message: `content-type must be application/json (got ${sent ? JSON.stringify(sent.slice(0, 100)) : 'none'})`,
      field: 'content-type',
    }),
  );
}
