/**
 * The one directory of what a deployment serves: its networks (with their v1 names where x402 v1 has one)
 * and their tokens, built from configuration. The request parser, `/supported` and the verify checks all
 * read this directory, so whatever is configured — a devchain started under any chain id included — is
 * served, and nothing else is.
 */
import { AssetEntry, AssetRegistry } from './assets';
import { DEFAULT_NETWORKS, NetworkEntry, NetworkRegistry } from './networks';
import type { Caip2Network } from './types';

/** One configured network as the directory needs it (a subset of the config's network settings). */
export interface ServedNetwork {
  /** CAIP-2 id, `eip155:${chainId}`. */
  network: Caip2Network;
  chainId: number;
  /** Tokens accepted on this network, with the EIP-712 domain each signs under. */
  assets: ReadonlyArray<Omit<AssetEntry, 'network'>>;
}

/**
 * The networks and tokens one deployment serves. v1 names and display names come from the well-known
 * table ({@link DEFAULT_NETWORKS}: `base`, `base-sepolia`, `anvil`); a chain id without one (e.g. a devchain
 * started as 31338) gets no v1 name and is served under its CAIP-2 id (`eip155:31338`), which v2 always
 * uses and the v1 parser accepts as well.
 */
export class NetworkDirectory {
  /** Registry of the served networks only (what the request parser accepts). */
  readonly networks: NetworkRegistry;
  /** Registry of the served tokens only. */
  readonly assets: AssetRegistry;

  /**
   * @throws ProtocolError(`network_registry` / `asset_registry`) on an inconsistent entry (network not
   *   `eip155:${chainId}`, malformed token address, conflicting EIP-712 domain for one token).
   */
  constructor(served: readonly ServedNetwork[]) {
    const known = new Map<number | undefined, NetworkEntry>(DEFAULT_NETWORKS.map((n) => [n.chainId, n]));
    this.networks = new NetworkRegistry(
      served.map((s) => {
        const k = known.get(s.chainId);
        return k ? { ...k, network: s.network } : { network: s.network, chainId: s.chainId, displayName: `Chain ${s.chainId}` };
      }),
    );
    this.assets = new AssetRegistry(
      served.flatMap((s) => s.assets.map((a) => ({ ...a, network: s.network }))),
      this.networks,
    );
  }
}
