import { Logger, LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';
import { logDestination, TollgateConfig } from '@tollgate/config';
import { logSafeError, logSafeErrorSerializer } from '@tollgate/evm';

/**
 * Paths never written to the worker's logs. Job payloads carry ids only, but a stray object (an RPC
 * error with a request body, a key in an account object) must not leak a secret or a signature.
 */
export const WORKER_LOG_REDACT = ['privateKey', '*.privateKey', 'signature', '*.signature', 'raw_tx', '*.raw_tx', 'authorization', '*.authorization', 'secret', '*.secret'];

/** Nest's Logger API on top of pino, so every `new Logger(ctx)` in the libraries writes JSON lines. */
class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.pino[level]({ context, ...rest }, typeof msg === 'string' ? msg : '');
    } else if (message instanceof Error) {
      this.pino[level]({ context, err: message }, logSafeError(message));
    } else {
      const stack = level === 'error' && params.length > 1 && typeof params[0] === 'string' ? { stack: params[0] } : {};
      this.pino[level]({ context, ...stack }, String(message));
    }
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}

/**
 * The worker's pino options: level, redacted paths and an `err` serializer that reduces any error (RPC
 * errors above all: viem puts the request body and the RPC URL in their messages) to a log-safe line.
 */
export function workerPinoOptions(config: Pick<TollgateConfig, 'logLevel'>): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { app: 'tollgate-worker', pid: process.pid },
    redact: { paths: WORKER_LOG_REDACT, censor: '[redacted]' },
    serializers: { err: logSafeErrorSerializer },
  };
}

/**
 * Routes every Nest `Logger` of the worker process to pino (JSON lines on stdout; readable lines with
 * NODE_ENV=development, see `logDestination`; LOG_LEVEL; secrets redacted). Call once at process start.
 */
export function useJsonLogs(config: TollgateConfig): Pino {
  const destination = logDestination(config);
  const logger = destination ? pino(workerPinoOptions(config), destination) : pino(workerPinoOptions(config));
  Logger.overrideLogger(new PinoNestLogger(logger));
  return logger;
}
