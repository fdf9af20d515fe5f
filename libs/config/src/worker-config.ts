import { resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig, TollgateConfig } from './config.schema';
import { address, fail, hexKey, orExit } from './config-values';
import { NetworkConfig, readDeploymentFile } from './network-config';
import { loadSolanaFeePayerKeys, type SolanaFeePayerKeys } from './svm-fee-payer-keys';

/** The devchain file's relayer keys: read by the worker only ({@link loadRelayerKeys}). */
const deploymentKeysSchema = z.object({ relayers: z.array(z.object({ address, privateKey: hexKey })).min(1) });

/** Relayer private keys per served network (CAIP-2 id → keys, in configured order). Never logged. */
export type RelayerKeys = Readonly<Record<string, readonly `0x${string}`[]>>;

/** The worker's configuration: everything every process reads, plus the relayer keys only it may hold. */
export interface WorkerConfig extends TollgateConfig {
  relayerKeys: RelayerKeys;
  /** Fee-payer secret keys per Solana network; absent when no Solana network is configured. */
  solanaFeePayerKeys?: SolanaFeePayerKeys;
}

/**
 * Relayer keys for each network of `networks`: `RELAYER_PRIVATE_KEYS_<chainId>` (comma-separated, required)
 * for a network of `NETWORKS`; the deployment file's relayer keys for the devchain (`DEVCHAIN_FILE`).
 * Only the worker calls this.
 *
 * @throws ConfigError naming the variable when keys are missing or malformed.
 */
export function loadRelayerKeys(env: NodeJS.ProcessEnv, networks: readonly NetworkConfig[]): RelayerKeys {
  const out: Record<string, `0x${string}`[]> = {};
  for (const n of networks) {
    if (n.local) {
      const path = resolve(env.DEVCHAIN_FILE || '.devchain/deployment.json');
      const parsed = deploymentKeysSchema.safeParse(readDeploymentFile(path, true));
      if (!parsed.success) fail('DEVCHAIN_FILE', `${path}: relayers: expected an address and a 0x-prefixed 32-byte private key for each`);
      out[n.network] = parsed.data.relayers.map((r) => r.privateKey as `0x${string}`);
      continue;
    }
    const keysVar = `RELAYER_PRIVATE_KEYS_${n.chainId}`;
    const keys = (env[keysVar] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (keys.length === 0) fail(keysVar, `required for ${n.network}: comma-separated relayer private keys`);
    keys.forEach((k) => hexKey.safeParse(k).success || fail(keysVar, 'expected 0x-prefixed 32-byte hex private keys'));
    out[n.network] = keys as `0x${string}`[];
  }
  return out;
}

/** {@link loadConfig} plus the relayer keys ({@link loadRelayerKeys}) and Solana fee-payer keys: the worker's configuration. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const config = loadConfig(env);
  const solana = config.solanaNetworks ? { solanaFeePayerKeys: loadSolanaFeePayerKeys(env, config.solanaNetworks) } : {};
  return { ...config, relayerKeys: loadRelayerKeys(env, config.networks), ...solana };
}

/** {@link loadWorkerConfig} for the worker's entry point: exits 78 naming the variable on a bad value. */
export function loadWorkerConfigOrExit(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return orExit(() => loadWorkerConfig(env));
}

