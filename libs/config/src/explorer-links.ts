/**
 * Block-explorer links of the operator console, one rule for every network (issue #15):
 * `EXPLORER_TX_URL_<K>` — `<K>` the chain id on EVM (`EXPLORER_TX_URL_84532`), the v1 name in upper case
 * with `_` on Solana (`EXPLORER_TX_URL_SOLANA_DEVNET`) — is a URL template holding `{tx}` (replaced by the
 * transaction hash or signature), or `none` for no link. Unset, public networks get their usual explorer
 * (Basescan; explorer.solana.com with `?cluster=devnet|testnet`), and a local chain gets none: the EVM
 * devchain, and any Solana network whose RPC URL is on a loopback host — the Solana devchain poses as devnet,
 * and a devnet explorer link would show a transaction devnet never saw.
 */
import type { NetworkConfig } from './network-config';
import { ConfigError } from './config-values';
import { loadSolanaNetworks } from './svm-networks';

declare module './config.schema' {
  interface TollgateConfig {
    /** Explorer transaction URL templates (`{tx}` placeholder) per network (CAIP-2); a network without one gets no link. */
    explorers?: Record<string, string>;
  }
}

const EVM_DEFAULTS: Record<number, string> = {
  8453: 'https://basescan.org/tx/{tx}',
  84532: 'https://sepolia.basescan.org/tx/{tx}',
};
const SOLANA_DEFAULTS: Record<string, string> = {
  solana: 'https://explorer.solana.com/tx/{tx}',
  'solana-devnet': 'https://explorer.solana.com/tx/{tx}?cluster=devnet',
  'solana-testnet': 'https://explorer.solana.com/tx/{tx}?cluster=testnet',
};

/** True when `url`'s host is a loopback name or address (a chain on this machine). */
function loopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function templateOf(env: NodeJS.ProcessEnv, variable: string, fallback: string | undefined): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'none') return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(raw) || !raw.includes('{tx}')) throw new ConfigError(variable, 'expected an http(s) URL containing {tx}, or none');
  return raw;
}

/**
 * The explorer templates of every served network (see the module comment).
 * @throws ConfigError naming a malformed `EXPLORER_TX_URL_<K>`.
 */
export function explorerSettings(env: NodeJS.ProcessEnv, networks: readonly NetworkConfig[]): { explorers: Record<string, string> } {
  const explorers: Record<string, string> = {};
  for (const n of networks) {
    const t = templateOf(env, `EXPLORER_TX_URL_${n.chainId}`, n.local ? undefined : EVM_DEFAULTS[n.chainId]);
    if (t) explorers[n.network] = t;
  }
  for (const n of loadSolanaNetworks(env)) {
    const t = templateOf(env, `EXPLORER_TX_URL_${n.v1Name.toUpperCase().replace(/-/g, '_')}`, loopback(n.rpcUrl) ? undefined : SOLANA_DEFAULTS[n.v1Name]);
    if (t) explorers[n.network] = t;
  }
  return { explorers };
}

/** The explorer link of transaction `tx` on `network`, or null when the network has none. */
export function explorerTxUrl(explorers: Readonly<Record<string, string>> | undefined, network: string, tx: string | null | undefined): string | null {
  const t = explorers?.[network];
  return t && tx ? t.replaceAll('{tx}', encodeURIComponent(tx)) : null;
}
