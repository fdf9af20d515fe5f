import { DevchainConfigError, parseDevchainConfig, type DevchainConfig } from '@tollgate/devchain';

export type { DevchainConfig };

/**
 * The only place `apps/devchain` reads `process.env` (the parser lives in libs/devchain). On invalid input
 * prints one line naming the bad variable to stderr and exits with status 1; a CLI has nothing better to do
 * with a typo than say which one it was.
 */
export function loadDevchainConfig(env: NodeJS.ProcessEnv = process.env): DevchainConfig {
  try {
    return parseDevchainConfig(env);
  } catch (err) {
    if (!(err instanceof DevchainConfigError)) throw err;
    process.stderr.write(`devchain: ${err.message}\n`);
    process.exit(1);
  }
}
