import { z } from 'zod';

/** Shared zod pieces and the error type of every configuration loader in this library (not exported by the package). */

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
export const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex private key');
export const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address');

/**
 * Bounds of the per-transaction gas cap: below ~100k not even one `transferWithAuthorization` (≈ 60k
 * used, padded) would fit; above 2^30 is no chain's block, let alone a transaction.
 */
export const MIN_TX_GAS_CAP = 100_000;
export const MAX_TX_GAS_CAP = 1_073_741_824;

/** Raised for any invalid setting; `message` is one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Throws {@link ConfigError} for `variable` with the zod issue's message (or `issue` itself). */
export function fail(variable: string, issue: z.ZodIssue | string): never {
  throw new ConfigError(variable, typeof issue === 'string' ? issue : issue.message);
}

/**
 * Runs a loader for a process entry point: on a bad value prints one line naming the variable and exits
 * with status 78 (EX_CONFIG) instead of a stack trace.
 */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
}
