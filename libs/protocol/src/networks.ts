/**
 * Network registry: which chains Tollgate serves (EVM by chain id, Solana by genesis-hash id) and how v1
 * names map to CAIP-2 ids.
 *
 * v1 identifies networks by name (`base`, `base-sepolia`; spec v1 §11.1), v2 by CAIP-2 (`eip155:8453`;
 * spec v2 §11.1). The v1 names are those of the reference SDK (`EVM_NETWORK_CHAIN_ID_MAP`); it has no
 * name for the anvil chain 31337, so Tollgate calls it `anvil` (no stock v1 client knows that name:
 * to serve v1 clients locally, start the chain as 84532 and let it pass for `base-sepolia`).
 */
import { ProtocolError } from './errors';
import type { NetworkId } from './types';

/** One network Tollgate serves. */
export interface NetworkEntry {
  /** CAIP-2 id; on EVM it must equal `eip155:${chainId}`; on Solana `solana:<genesis hash prefix>`. */
  network: NetworkId;
  /** EVM chain id; absent for Solana networks. */
  chainId?: number;
  /** Name v1 clients use; `v1NameOf` returns it. */
  v1Name?: string;
  displayName: string;
  /** Further v1 names that map to this network (added when a chain id is registered twice). */
  v1Aliases?: readonly string[];
}

// CAIP-2 `eip155` references are decimal chain ids; no leading zero, and within the safe integer
// range because chain ids are handled as JS numbers throughout viem and Tollgate.
const EIP155_RE = /^eip155:([1-9][0-9]{0,15})$/;
const V1_NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
// CAIP-2 `solana` references are the first 32 base58 characters of the genesis hash.
const SOLANA_RE = /^solana:[1-9A-HJ-NP-Za-km-z]{32}$/;

/** The Solana networks x402 names (v1 names as `@x402/svm` maps them); not served unless configured. */
export const SOLANA_NETWORKS: readonly NetworkEntry[] = Object.freeze([
  { network: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', v1Name: 'solana', displayName: 'Solana' },
  { network: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1', v1Name: 'solana-devnet', displayName: 'Solana Devnet' },
  { network: 'solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z', v1Name: 'solana-testnet', displayName: 'Solana Testnet' },
]);

/** Whether `value` is a well-formed Solana CAIP-2 id (registered or not). */
export function isSolanaNetwork(value: string): boolean {
  return SOLANA_RE.test(value);
}

/** The networks every registry starts with. */
export const DEFAULT_NETWORKS: readonly NetworkEntry[] = Object.freeze([
  { network: 'eip155:8453', chainId: 8453, v1Name: 'base', displayName: 'Base' },
  { network: 'eip155:84532', chainId: 84532, v1Name: 'base-sepolia', displayName: 'Base Sepolia' },
  { network: 'eip155:31337', chainId: 31337, v1Name: 'anvil', displayName: 'Local anvil' },
]);

/**
 * Parses a well-formed `eip155:<chainId>` string (registered or not).
 * @returns the chain id, or `undefined` when `value` is not a well-formed EVM CAIP-2 id.
 */
export function parseEip155(value: string): number | undefined {
  const m = EIP155_RE.exec(value);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * A mutable set of {@link NetworkEntry}. The module-level functions below use one shared default
 * instance; tests and tools may create their own.
 */
export class NetworkRegistry {
  private readonly byNetwork = new Map<NetworkId, NetworkEntry>();
  private readonly byV1Name = new Map<string, NetworkId>();

  constructor(entries: readonly NetworkEntry[] = DEFAULT_NETWORKS) {
    for (const e of entries) this.register(e);
  }

  /**
   * Adds a network. Registering a chain id that is already known keeps the existing entry (its
   * display name and canonical v1 name) and only adds the new v1 name as an alias: the local chain
   * started as 84532 to impersonate Base Sepolia must not turn `base-sepolia` into something else.
   * @returns the entry now in effect for that network.
   * @throws ProtocolError(`network_registry`) when `network` is neither `eip155:${chainId}` nor a Solana id
   *   without a chain id, a v1 name is malformed, or a v1 name already belongs to a different network.
   */
  register(entry: NetworkEntry): NetworkEntry {
    const solana = SOLANA_RE.test(entry.network);
    if (solana ? entry.chainId !== undefined : entry.chainId === undefined || parseEip155(entry.network) !== entry.chainId) {
      throw new ProtocolError(
        'network_registry',
        `network ${JSON.stringify(entry.network)} does not match chainId ${entry.chainId}`,
      );
    }
    const names = [entry.v1Name, ...(entry.v1Aliases ?? [])].filter((n): n is string => n !== undefined);
    for (const name of names) {
      if (!V1_NAME_RE.test(name)) {
        throw new ProtocolError('network_registry', `v1 network name ${JSON.stringify(name)} is not lower-case kebab`);
      }
      const owner = this.byV1Name.get(name);
      if (owner !== undefined && owner !== entry.network) {
        throw new ProtocolError('network_registry', `v1 network name "${name}" already maps to ${owner}`);
      }
    }

    const existing = this.byNetwork.get(entry.network);
    let effective: NetworkEntry;
    if (existing) {
      const canonical = existing.v1Name ?? names[0];
      const aliases = new Set([...(existing.v1Aliases ?? []), ...names]);
      if (canonical !== undefined) aliases.delete(canonical);
      effective = Object.freeze({
        ...existing,
        ...(canonical !== undefined ? { v1Name: canonical } : {}),
        ...(aliases.size > 0 ? { v1Aliases: Object.freeze([...aliases]) } : {}),
      });
    } else {
      effective = Object.freeze({
        ...entry,
        ...(entry.v1Aliases ? { v1Aliases: Object.freeze([...entry.v1Aliases]) } : {}),
      });
    }
    this.byNetwork.set(entry.network, effective);
    for (const name of names) this.byV1Name.set(name, entry.network);
    return effective;
  }

  /** The entry for a CAIP-2 id or v1 name, or `undefined` when not registered. */
  get(networkOrV1Name: string): NetworkEntry | undefined {
    const caip2 = this.toCaip2(networkOrV1Name);
    return caip2 === undefined ? undefined : this.byNetwork.get(caip2);
  }

  /** True when the CAIP-2 id or v1 name belongs to a registered network. */
  has(networkOrV1Name: string): boolean {
    return this.get(networkOrV1Name) !== undefined;
  }

  /**
   * CAIP-2 id for a v1 name (registered names only) or for any well-formed `eip155:<chainId>` or Solana id
   * (registered or not: use {@link has} to know whether Tollgate serves it).
   */
  toCaip2(networkOrV1Name: string): NetworkId | undefined {
    if (parseEip155(networkOrV1Name) !== undefined || SOLANA_RE.test(networkOrV1Name)) return networkOrV1Name as NetworkId;
    return this.byV1Name.get(networkOrV1Name);
  }

  /** Canonical v1 name of a registered network, or `undefined` (unknown network or no v1 name). */
  v1NameOf(caip2: string): string | undefined {
    return this.byNetwork.get(caip2 as NetworkId)?.v1Name;
  }

  /** All registered networks, in registration order. */
  list(): NetworkEntry[] {
    return [...this.byNetwork.values()];
  }
}

/**
 * The registry used by {@link parseFacilitatorRequest} when no other is given (the well-known networks). The
 * API passes its own, built from configuration (see `NetworkDirectory`), so it serves what is configured.
 */
export const defaultNetworkRegistry = new NetworkRegistry();

/**
 * Registers a network in the default registry (see {@link NetworkRegistry.register} for the merge rule).
 * @throws ProtocolError(`network_registry`) on an inconsistent entry or a v1 name owned by another chain.
 */
export function registerNetwork(entry: NetworkEntry): NetworkEntry {
  return defaultNetworkRegistry.register(entry);
}

/**
 * Maps a v1 name or a CAIP-2 id to CAIP-2. Any well-formed `eip155:<digits>` is returned as is even
 * when unregistered; v1 names must be registered. `undefined` for anything else.
 */
export function toCaip2(networkOrV1Name: string): NetworkId | undefined {
  return defaultNetworkRegistry.toCaip2(networkOrV1Name);
}

/** The v1 name of a registered CAIP-2 network, or `undefined`. */
export function v1NameOf(caip2: string): string | undefined {
  return defaultNetworkRegistry.v1NameOf(caip2);
}

/** Chain id of a well-formed `eip155:<chainId>` (registered or not), or `undefined`. */
export function chainIdOf(caip2: string): number | undefined {
  return parseEip155(caip2);
}

/** The registered entry for a CAIP-2 id or v1 name, or `undefined`. */
export function getNetwork(networkOrV1Name: string): NetworkEntry | undefined {
  return defaultNetworkRegistry.get(networkOrV1Name);
}

/** All networks in the default registry. */
export function listNetworks(): NetworkEntry[] {
  return defaultNetworkRegistry.list();
}

/**
 * The network string to put in an answer for a request of the given version: v2 answers carry
 * CAIP-2; v1 answers carry the v1 name (falling back to CAIP-2 when the network has none).
 */
export function wireNetwork(
  caip2: NetworkId,
  x402Version: 1 | 2,
  registry: NetworkRegistry = defaultNetworkRegistry,
): string {
  return x402Version === 1 ? (registry.v1NameOf(caip2) ?? caip2) : caip2;
}

/**
 * True when two network strings (v1 names or CAIP-2, any mix) denote the same chain. Used for the
 * payload-vs-requirements network check, since a v1 payload says `base` where a v2 one says `eip155:8453`.
 */
export function sameNetwork(a: string, b: string, registry: NetworkRegistry = defaultNetworkRegistry): boolean {
  if (a === b) return true;
  const ca = registry.toCaip2(a);
  return ca !== undefined && ca === registry.toCaip2(b);
}
