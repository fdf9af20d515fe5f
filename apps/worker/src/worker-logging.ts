import type pino from 'pino';
import type { TollgateConfig } from '@tollgate/config';
import { logSafeErrorSerializer } from '@tollgate/evm';

/**
 * Paths never written to the worker's logs. Job payloads carry ids only, but a stray object (an RPC
 * error with a request body, a key in an account object) must not leak a secret or a signature.
 */
export const WORKER_LOG_REDACT = ['privateKey', '*.privateKey', 'signature', '*.signature', 'raw_tx', '*.raw_tx', 'authorization', '*.authorization', 'secret', '*.secret'];

/**
 * The worker's pino options (given to nestjs-pino by WorkerModule): level, redacted paths and an `err`
 * serializer that reduces any error (RPC errors above all: viem puts the request body and the RPC URL in
 * their messages) to a log-safe line.
 */
export function workerPinoOptions(config: Pick<TollgateConfig, 'logLevel'>): pino.LoggerOptions {
  return {
    level: config.logLevel,
    base: { app: 'tollgate-worker', pid: process.pid },
    redact: { paths: WORKER_LOG_REDACT, censor: '[redacted]' },
    serializers: { err: logSafeErrorSerializer },
  };
}
