/**
 * Solana networks by configuration (issue #15). Nothing is served on Solana unless `SOLANA_NETWORKS` names
 * a network, so deployments that set nothing behave exactly as before.
 *
 * Per network, with `<K>` its v1 name in upper case with `_` (`SOLANA`, `SOLANA_DEVNET`):
 * - `SOLANA_RPC_URL_<K>` (required): the JSON-RPC URL (any Solana node, or the devchain's).
 * - `SOLANA_FEE_PAYERS_<K>` (required): comma-separated fee-payer addresses (base58). Public addresses only:
 *   the keys are worker secrets, and the API needs no more than the addresses to advertise `extra.feePayer`
 *   and refuse transactions paid by anyone else.
 * - `SOLANA_MINTS_<K>`: comma-separated `mint:decimals:symbol`; default the network's USDC.
 * - `SOLANA_SETTLEMENT_WINDOW_SECONDS_<K>`: seconds the blockhash must still live at verify (default 20;
 *   below 60, since a blockhash lives 60–90 s).
 * - `SOLANA_FEE_PAYER_MIN_LAMPORTS_<K>`: below this SOL balance a fee payer signs nothing new (the worker)
 *   and is flagged low on the console (the API); default 10,000,000 lamports (0.01 SOL). One setting for
 *   both, so the console warns exactly when the worker stops signing.
 */
import { z } from 'zod';
import { ConfigError } from './config-values';

/** A token accepted on a Solana network. */
export interface SolanaAssetConfig {
  /** Mint address, base58. */
  address: string;
  decimals: number;
  symbol: string;
}

/** One served Solana network. */
export interface SolanaNetworkConfig {
  /** CAIP-2, e.g. `solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1`. */
  network: string;
  /** x402 v1 name (`solana`, `solana-devnet`, `solana-testnet`). */
  v1Name: string;
  rpcUrl: string;
  assets: SolanaAssetConfig[];
  /** Fee-payer addresses (base58) the workers settle with. */
  feePayers: string[];
  /** Seconds the payment's blockhash must outlive the verify. */
  settlementWindowSeconds: number;
  /** Lamports (decimal string, JSON-safe) below which a fee payer signs nothing new and the console warns. */
  feePayerMinLamports: string;
}

/** Default of `SOLANA_FEE_PAYER_MIN_LAMPORTS_<K>`: 0.01 SOL, a few thousand transaction fees. */
export const DEFAULT_FEE_PAYER_MIN_LAMPORTS = '10000000';

declare module './config.schema' {
  interface TollgateConfig {
    /** Served Solana networks (empty when `SOLANA_NETWORKS` is unset). */
    solanaNetworks?: SolanaNetworkConfig[];
  }
}

const KNOWN: ReadonlyArray<{ network: string; v1Name: string; usdc?: string }> = [
  { network: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', v1Name: 'solana', usdc: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v' },
  { network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', v1Name: 'solana-devnet', usdc: '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU' },
  { network: 'solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z', v1Name: 'solana-testnet' },
];
const BASE58_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
const DEFAULT_WINDOW_SECONDS = 20;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Reads and validates the Solana networks from the environment.
 * @throws ConfigError naming the offending variable (unknown network, missing RPC URL or fee payers,
 *   malformed address, mint or window).
 */
export function loadSolanaNetworks(env: NodeJS.ProcessEnv): SolanaNetworkConfig[] {
  const out: SolanaNetworkConfig[] = [];
  for (const entry of list(env.SOLANA_NETWORKS)) {
    const known = KNOWN.find((k) => k.network === entry || k.v1Name === entry);
    if (!known) throw new ConfigError('SOLANA_NETWORKS', `"${entry}" is not a Solana network x402 knows (${KNOWN.map((k) => k.v1Name).join(', ')} or their CAIP-2 ids)`);
    if (out.some((n) => n.network === known.network)) throw new ConfigError('SOLANA_NETWORKS', `${entry} is configured twice`);
    const key = known.v1Name.toUpperCase().replace(/-/g, '_');

    const rpcVar = `SOLANA_RPC_URL_${key}`;
    const rpcUrl = z.string().url().safeParse(env[rpcVar]);
    if (!rpcUrl.success || !/^https?:\/\//.test(rpcUrl.data)) throw new ConfigError(rpcVar, `required for ${known.network}: expected an http(s) JSON-RPC URL`);

    const feeVar = `SOLANA_FEE_PAYERS_${key}`;
    const feePayers = list(env[feeVar]);
    if (feePayers.length === 0) throw new ConfigError(feeVar, `required for ${known.network}: comma-separated fee-payer addresses`);
    const badFeePayer = feePayers.find((a) => !BASE58_ADDRESS.test(a));
    if (badFeePayer) throw new ConfigError(feeVar, `"${badFeePayer}" is not a base58 Solana address`);

    const mintVar = `SOLANA_MINTS_${key}`;
    const mintEntries = list(env[mintVar]);
    const assets: SolanaAssetConfig[] = [];
    for (const m of mintEntries) {
      const [address, decimals, symbol] = m.split(':');
      if (!BASE58_ADDRESS.test(address ?? '') || !/^\d{1,2}$/.test(decimals ?? '') || !symbol) {
        throw new ConfigError(mintVar, `"${m}" is not mint:decimals:symbol (a base58 mint, 0-99 decimals, a symbol)`);
      }
      assets.push({ address, decimals: Number(decimals), symbol });
    }
    if (assets.length === 0) {
      if (!known.usdc) throw new ConfigError(mintVar, `required for ${known.network}: it has no USDC default`);
      assets.push({ address: known.usdc, decimals: 6, symbol: 'USDC' });
    }

    const windowVar = `SOLANA_SETTLEMENT_WINDOW_SECONDS_${key}`;
    const raw = env[windowVar] ?? String(DEFAULT_WINDOW_SECONDS);
    if (!/^\d+$/.test(raw) || Number(raw) >= 60) throw new ConfigError(windowVar, 'expected whole seconds below 60 (a blockhash lives 60-90 s)');

    const minVar = `SOLANA_FEE_PAYER_MIN_LAMPORTS_${key}`;
    const min = env[minVar] || DEFAULT_FEE_PAYER_MIN_LAMPORTS;
    if (!/^\d{1,20}$/.test(min)) throw new ConfigError(minVar, 'expected a whole number of lamports');

    out.push({
      network: known.network,
      v1Name: known.v1Name,
      rpcUrl: rpcUrl.data,
      assets,
      feePayers,
      settlementWindowSeconds: Number(raw),
      feePayerMinLamports: BigInt(min).toString(),
    });
  }
  return out;
}

/** The Solana part of {@link TollgateConfig}: absent when no Solana network is configured (configs stay as before). */
export function solanaSettings(env: NodeJS.ProcessEnv): { solanaNetworks?: SolanaNetworkConfig[] } {
  const solanaNetworks = loadSolanaNetworks(env);
  return solanaNetworks.length > 0 ? { solanaNetworks } : {};
}
