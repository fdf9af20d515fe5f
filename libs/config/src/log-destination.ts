import type { DestinationStream } from 'pino';
import type { TollgateConfig } from './config.schema';

/**
 * Where the API's and the worker's pino loggers write. With NODE_ENV=development: human-readable lines
 * through `pino-pretty` (a dev dependency, run in-process and synchronously so that a line written right
 * before `process.exit` is not lost). Otherwise — and when `pino-pretty` is not installed, as in the
 * production Docker image — `undefined`, meaning pino's default: one JSON object per line on stdout.
 * Redaction and serializers run before the destination, so both formats hide the same secrets.
 */
export function logDestination(config: Pick<TollgateConfig, 'env'>, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): DestinationStream | undefined {
  if (config.env !== 'development') return undefined;
  let pretty: typeof import('pino-pretty');
  try {
    // Required lazily: production installs omit dev dependencies.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pretty = require('pino-pretty');
  } catch {
    return undefined;
  }
  const build = (pretty as unknown as { default?: typeof pretty }).default ?? pretty;
  return build({
    sync: true,
    // fd 1 through a synchronous SonicBoom; another stream (tests) is written to directly.
    destination: out === process.stdout ? 1 : out,
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
}
