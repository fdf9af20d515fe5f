import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { logSafeError } from '@tollgate/evm';

/**
 * The one place errors become HTTP responses. Never a stack trace; never a 500 for bad input.
 * On the facilitator endpoints the body keeps the spec's shape (`isValid`/`success` + reason) so the
 * official clients can still read why.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    let status = 500;
    let message = 'internal error';
    let field: string | undefined;
    const bodyParserError = exception as { type?: string; status?: number; message?: string };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const r = exception.getResponse();
      message = typeof r === 'string' ? r : ((r as { message?: string | string[] }).message?.toString() ?? exception.message);
      // Validation errors name the offending input (`field`), e.g. `eventTypes.0` or `cursor`.
      if (typeof r === 'object' && typeof (r as { field?: unknown }).field === 'string') field = (r as { field: string }).field;
    } else if (bodyParserError?.type === 'entity.parse.failed') {
      status = 400;
      message = 'request body is not valid JSON';
    } else if (typeof bodyParserError?.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500) {
      status = bodyParserError.status;
      message = bodyParserError.message ?? 'bad request';
    } else {
      this.logger.error(`unhandled error on ${req.method} ${req.path}: ${logSafeError(exception)}`);
    }
    const path = req.path;
    let body: Record<string, unknown> = { statusCode: status, error: httpErrorName(status), message, ...(field ? { field } : {}) };
    if (path.startsWith('/health') && exception instanceof HttpException && typeof exception.getResponse() === 'object' && 'details' in (exception.getResponse() as object)) {
      // A failed readiness check: Terminus's body names each failing check and why (e.g. a wedged relayer);
      // flattened to "Service Unavailable Exception" an operator learned nothing.
      body = exception.getResponse() as Record<string, unknown>;
    } else if (path === '/verify') {
      body = { isValid: false, invalidReason: reasonFor(status, 'unexpected_verify_error'), invalidMessage: message, ...(status === 400 || status === 415 ? { field: field ?? 'body' } : {}) };
    } else if (path === '/settle') {
      body = { success: false, errorReason: reasonFor(status, 'unexpected_settle_error'), errorMessage: message, transaction: '', network: '', ...(status === 400 || status === 415 ? { field: field ?? 'body' } : {}) };
    }
    res.status(status).json(body);
  }
}

function reasonFor(status: number, fallback: string): string {
  if (status === 400 || status === 413 || status === 415) return 'invalid_payload';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  // Only the per-merchant limit answers 429 on /verify and /settle.
  if (status === 429) return 'tollgate_rate_limited';
  return fallback;
}

function httpErrorName(status: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
}
