import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { address, fail, int, MAX_TX_GAS_CAP, MIN_TX_GAS_CAP } from './config-values';

/** One token the facilitator accepts on a network (EIP-712 domain as the token itself declares it). */
export interface AssetConfig {
  address: `0x${string}`;
  name: string;
  version: string;
  decimals: number;
  symbol: string;
}

/** Everything Tollgate needs to serve one EVM network. */
export interface NetworkConfig {
  /** CAIP-2 id, e.g. `eip155:8453`. */
  network: `eip155:${number}`;
  chainId: number;
  rpcUrl: string;
  /** Blocks on top of the inclusion block before a payment is `confirmed`. */
  confirmations: number;
  multicall3: `0x${string}`;
  assets: AssetConfig[];
  /** Seconds an authorization must still be valid for at verify so the queue can settle it. */
  settlementWindowSeconds: number;
  /** True when the network comes from the embedded devchain (enables anvil-only helpers). */
  local: boolean;
  /**
   * Largest gas limit one settlement transaction may ask for (gas units). Batches are sized so their padded
   * gas stays under it (EIP-7825 caps transactions at 2^24 = 16,777,216 from Osaka on).
   */
  txGasCap: number;
}

const MULTICALL3 = '0xcA11bde05977b3631167028862bE2a173976CA11' as const;

/** Networks Tollgate knows how to serve from environment alone (token domains are public facts). */
const KNOWN_NETWORKS: Record<number, { assets: AssetConfig[]; confirmations: number }> = {
  8453: {
    confirmations: 5,
    assets: [
      { address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', name: 'USD Coin', version: '2', decimals: 6, symbol: 'USDC' },
    ],
  },
  84532: {
    confirmations: 3,
    assets: [
      { address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', name: 'USDC', version: '2', decimals: 6, symbol: 'USDC' },
    ],
  },
};

const deploymentSchema = z.object({
  network: z.string().regex(/^eip155:\d+$/),
  chainId: z.number().int().positive(),
  rpcUrl: z.string().url(),
  token: z.object({
    address,
    name: z.string(),
    version: z.string(),
    symbol: z.string(),
    decimals: z.number().int(),
  }),
  multicall3: address,
  relayers: z.array(z.object({ address })).min(1),
});

/**
 * Reads a deployment file. `keys: false` drops every `privateKey` (EVM) and `secretKey` (Solana) member while parsing (the JSON reviver
 * runs before any object holding one is built), so the API's configuration never sees the devchain's keys.
 */
export function readDeploymentFile(path: string, keys: boolean): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'), keys ? undefined : (k, v) => (k === 'privateKey' || k === 'secretKey' ? undefined : v));
  } catch (e) {
    fail('DEVCHAIN_FILE', `${path} is not valid JSON (${(e as Error).message})`);
  }
}

function devchainNetwork(file: string, window: number, txGasCap: number): NetworkConfig | undefined {
  if (!file) return undefined;
  const path = resolve(file);
  if (!existsSync(path)) return undefined;
  const parsed = deploymentSchema.safeParse(readDeploymentFile(path, false));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail('DEVCHAIN_FILE', `${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const d = parsed.data;
  return {
    network: d.network as `eip155:${number}`,
    chainId: d.chainId,
    rpcUrl: d.rpcUrl,
    confirmations: 1,
    multicall3: d.multicall3 as `0x${string}`,
    assets: [{ ...d.token, address: d.token.address as `0x${string}` }],
    settlementWindowSeconds: window,
    local: true,
    txGasCap,
  };
}

/** The environment values the network list is built from (already validated by the env schema). */
export interface NetworkSettings {
  DEVCHAIN_FILE: string;
  NETWORKS: string;
  SETTLEMENT_WINDOW_SECONDS: number;
  TX_GAS_CAP: number;
}

/**
 * The served networks: the devchain's (from DEVCHAIN_FILE, when the file exists) first, then each CAIP-2 id
 * of NETWORKS with its `RPC_URL_<chainId>`, `CONFIRMATIONS_<chainId>`, `SETTLEMENT_WINDOW_SECONDS_<chainId>`
 * and `TX_GAS_CAP_<chainId>`.
 *
 * @throws ConfigError naming the first bad variable.
 */
export function loadNetworks(env: NodeJS.ProcessEnv, e: NetworkSettings): NetworkConfig[] {
  const networks: NetworkConfig[] = [];
  const local = devchainNetwork(e.DEVCHAIN_FILE, e.SETTLEMENT_WINDOW_SECONDS, e.TX_GAS_CAP);
  if (local) networks.push(local);

  for (const entry of e.NETWORKS.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^eip155:(\d+)$/.exec(entry);
    if (!m) fail('NETWORKS', `"${entry}" is not a CAIP-2 EVM network id like eip155:8453`);
    const chainId = Number(m[1]);
    if (networks.some((n) => n.chainId === chainId)) fail('NETWORKS', `${entry} is configured twice`);
    const known = KNOWN_NETWORKS[chainId];
    if (!known) fail('NETWORKS', `${entry} has no known token registry (supported: eip155:8453, eip155:84532)`);
    const rpcVar = `RPC_URL_${chainId}`;
    const rpcUrl = z.string().url().safeParse(env[rpcVar]);
    if (!rpcUrl.success) fail(rpcVar, `required for ${entry}: expected an http(s) JSON-RPC URL`);
    const confVar = `CONFIRMATIONS_${chainId}`;
    const confirmations = int(0, 1000).safeParse(env[confVar] ?? known.confirmations);
    if (!confirmations.success) fail(confVar, 'expected a whole number of blocks (0-1000)');
    const windowVar = `SETTLEMENT_WINDOW_SECONDS_${chainId}`;
    const window = int(0, 86400).safeParse(env[windowVar] ?? e.SETTLEMENT_WINDOW_SECONDS);
    if (!window.success) fail(windowVar, 'expected whole seconds (0-86400)');
    const txGasCap = txGasCapOf(env, chainId, e.TX_GAS_CAP);
    networks.push({
      network: entry as `eip155:${number}`,
      chainId,
      rpcUrl: rpcUrl.data,
      confirmations: confirmations.data,
      multicall3: MULTICALL3,
      assets: known.assets,
      settlementWindowSeconds: window.data,
      local: false,
      txGasCap,
    });
  }
  if (local) {
    const confVar = `CONFIRMATIONS_${local.chainId}`;
    if (env[confVar]) {
      const c = int(0, 1000).safeParse(env[confVar]);
      if (!c.success) fail(confVar, 'expected a whole number of blocks (0-1000)');
      local.confirmations = c.data;
    }
    local.txGasCap = txGasCapOf(env, local.chainId, e.TX_GAS_CAP);
  }
  return networks;
}

/** `TX_GAS_CAP_<chainId>` when set, else the deployment-wide `TX_GAS_CAP`. */
function txGasCapOf(env: NodeJS.ProcessEnv, chainId: number, fallback: number): number {
  const variable = `TX_GAS_CAP_${chainId}`;
  if (env[variable] === undefined || env[variable] === '') return fallback;
  const cap = int(MIN_TX_GAS_CAP, MAX_TX_GAS_CAP).safeParse(env[variable]);
  if (!cap.success) fail(variable, `expected whole gas units (${MIN_TX_GAS_CAP}-${MAX_TX_GAS_CAP})`);
  return cap.data;
}
