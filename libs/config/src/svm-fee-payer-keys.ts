/**
 * Solana fee-payer keys: worker-only secrets (issue #15). The API knows only the addresses
 * (`SOLANA_FEE_PAYERS_<K>`, svm-networks.ts); the worker also reads `SOLANA_FEE_PAYER_KEYS_<K>`,
 * comma-separated 64-byte secret keys in base58 (seed ‖ public key, as Solana wallets export them), with
 * `<K>` the network's v1 name in upper case with `_`. Unset, a network served by the Solana devchain (same
 * network and RPC URL as the `solana` section of `DEVCHAIN_FILE`) takes the file's fee-payer keys. Which address each key belongs to is checked when the
 * worker derives the signers (that needs Ed25519, which this library does not load).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config-values';
import type { SolanaNetworkConfig } from './svm-networks';

const BASE58_SECRET = /^[1-9A-HJ-NP-Za-km-z]{64,90}$/;

/** Fee-payer secret keys per served Solana network (CAIP-2 → base58 secret keys). Never logged. */
export type SolanaFeePayerKeys = Readonly<Record<string, readonly string[]>>;

/**
 * Reads `SOLANA_FEE_PAYER_KEYS_<K>` for each network. Only the worker calls this.
 * @throws ConfigError naming the variable when a network has no keys or a key is malformed.
 */
export function loadSolanaFeePayerKeys(env: NodeJS.ProcessEnv, networks: readonly SolanaNetworkConfig[]): SolanaFeePayerKeys {
  const out: Record<string, string[]> = {};
  for (const n of networks) {
    const keysVar = `SOLANA_FEE_PAYER_KEYS_${n.v1Name.toUpperCase().replace(/-/g, '_')}`;
    let keys = (env[keysVar] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (keys.length === 0) keys = devchainKeys(env, n);
    if (keys.length === 0) throw new ConfigError(keysVar, `required for ${n.network}: comma-separated fee-payer secret keys (base58)`);
    if (keys.some((k) => !BASE58_SECRET.test(k))) throw new ConfigError(keysVar, 'expected base58 64-byte secret keys');
    out[n.network] = keys;
  }
  return out;
}

/** The devchain file's fee-payer keys when it serves `n` (same network and RPC URL); otherwise none. */
function devchainKeys(env: NodeJS.ProcessEnv, n: SolanaNetworkConfig): string[] {
  try {
    const file = JSON.parse(readFileSync(resolve(env.DEVCHAIN_FILE || '.devchain/deployment.json'), 'utf8')) as {
      solana?: { network?: string; rpcUrl?: string; feePayers?: Array<{ secretKey?: unknown }> };
    };
    const svm = file.solana;
    if (!svm || svm.network !== n.network || svm.rpcUrl !== n.rpcUrl) return [];
    return (svm.feePayers ?? []).map((f) => f.secretKey).filter((k): k is string => typeof k === 'string');
  } catch {
    return [];
  }
}
