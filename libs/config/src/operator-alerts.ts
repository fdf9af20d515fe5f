import { z } from 'zod';
import { fail, int } from './config-values';
import type { NetworkConfig } from './network-config';

/**
 * Operator alerting thresholds (console colours, `/health/settlement`, metrics):
 * - `WORKER_STALE_AFTER_SECONDS`: no worker heartbeat for this long means no worker is settling (console
 *   banner, `/health/settlement` down). Workers beat every 5 s, so the default 30 s tolerates a few misses.
 * - `RELAYER_LOW_BALANCE_WEI` (wei, default 0.01 native token; 0 = off), overridden per network by
 *   `RELAYER_LOW_BALANCE_WEI_<chainId>`: a relayer below it is amber on the console, below a quarter of it red.
 */
export const operatorAlertsEnv = {
  WORKER_STALE_AFTER_SECONDS: int(5, 86400).default(30),
  RELAYER_LOW_BALANCE_WEI: z.string().regex(/^\d{1,78}$/, 'expected a whole number of wei').default('10000000000000000'),
};

/** Thresholds an operator is alerted on (see {@link operatorAlertsEnv}). */
export interface OperatorAlertsConfig {
  /** Seconds without any worker heartbeat after which settlement counts as stalled. */
  workerStaleAfterSeconds: number;
  /** Low-balance threshold per network (CAIP-2) in wei, a decimal string (the configuration stays JSON-safe); '0': no alert. */
  relayerLowBalanceWei: Record<string, string>;
}

/** Builds {@link OperatorAlertsConfig}; throws ConfigError on a bad `RELAYER_LOW_BALANCE_WEI_<chainId>`. */
export function operatorAlerts(env: NodeJS.ProcessEnv, e: { WORKER_STALE_AFTER_SECONDS: number; RELAYER_LOW_BALANCE_WEI: string }, networks: readonly NetworkConfig[]): OperatorAlertsConfig {
  const relayerLowBalanceWei: Record<string, string> = {};
  for (const n of networks) {
    const variable = `RELAYER_LOW_BALANCE_WEI_${n.chainId}`;
    const raw = env[variable];
    if (raw !== undefined && raw !== '' && !/^\d{1,78}$/.test(raw)) fail(variable, 'expected a whole number of wei');
    relayerLowBalanceWei[n.network] = BigInt(raw || e.RELAYER_LOW_BALANCE_WEI).toString();
  }
  return { workerStaleAfterSeconds: e.WORKER_STALE_AFTER_SECONDS, relayerLowBalanceWei };
}
