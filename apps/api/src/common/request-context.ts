import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { PinoLogger } from 'nestjs-pino';
// The AsyncLocalStorage nestjs-pino's PinoLogger reads a request's logger from (not re-exported by its index).
import { storage } from 'nestjs-pino/storage';
import type { Logger as Pino } from 'pino';

/** The request's id: the caller's `X-Request-Id`, else a fresh UUID. */
export function requestIdOf(req: Pick<Request, 'headers'>): string {
  return (req.headers['x-request-id'] as string) || randomUUID();
}

/**
 * What nestjs-pino's PinoLogger finds in its AsyncLocalStorage during a request: the logger its lines go to.
 * Made on the first line the request writes, as a child of the HTTP logger bound to `reqId` — the very child
 * pino-http makes with `quietReqLogger` — so a request that writes nothing (nearly every one at LOG_LEVEL=warn)
 * costs no child logger at all.
 */
class LazyRequestLogger {
  private child?: Pino;
  /** Read by PinoLogger.assign (pino-http's response logger; none here). */
  responseLogger?: Pino;

  constructor(private readonly id: string) {}

  get logger(): Pino {
    return (this.child ??= PinoLogger.root.child({ reqId: this.id }));
  }

  /** PinoLogger.assign replaces the logger with a child carrying more fields. */
  set logger(l: Pino) {
    this.child = l;
  }
}

/** pino-http logs every request's completion only at LOG_LEVEL=debug or trace (then it also runs on every request). */
export function httpAutoLogging(logLevel: string): boolean {
  return logLevel === 'debug' || logLevel === 'trace';
}

/**
 * Express middleware used instead of pino-http when it would log nothing by itself (auto-logging is off below
 * LOG_LEVEL=debug): sets `req.id` (see {@link requestIdOf}; jobs carry it to the worker) and runs the rest of the
 * request in a context whose log lines carry `reqId`, exactly as before. pino-http made two child loggers per
 * request — the second one serializing and redacting the whole request — for lines that are almost never written
 * (≈ 5 % of the API's CPU under /verify load).
 */
export function requestContext(req: Request, _res: Response, next: NextFunction): void {
  const id = requestIdOf(req);
  (req as Request & { id?: string | number }).id = id;
  storage.run(new LazyRequestLogger(id), next);
}
