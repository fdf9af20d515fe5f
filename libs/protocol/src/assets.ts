/**
 * Asset registry: the EIP-3009 tokens Tollgate settles, with the EIP-712 domain each one signs under.
 *
 * The domain `name` differs between Base USDC ("USD Coin") and Base Sepolia USDC ("USDC"): signing
 * with the wrong one is the commonest signature failure in the field, so the registry, not the
 * client's `extra`, is what Tollgate trusts. Also money helpers: atomic units (`bigint`) to and from
 * human decimal strings, without floating point.
 */
import { ProtocolError } from './errors';
import { defaultNetworkRegistry, NetworkRegistry } from './networks';
import type { Caip2Network, HexAddress } from './types';

/** One token on one network. */
export interface AssetEntry {
  network: Caip2Network;
  /** Contract address, any case. */
  address: HexAddress;
  /** EIP-712 domain name of the token contract. */
  name: string;
  /** EIP-712 domain version of the token contract. */
  version: string;
  /** Token decimals (atomic units per whole token = 10^decimals). */
  decimals: number;
  symbol: string;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** Tokens every registry starts with (Circle USDC, FiatTokenV2_2, EIP-712 version "2"). */
export const DEFAULT_ASSETS: readonly AssetEntry[] = Object.freeze([
  {
    network: 'eip155:8453',
    address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    name: 'USD Coin',
    version: '2',
    decimals: 6,
    symbol: 'USDC',
  },
  {
    network: 'eip155:84532',
    address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    name: 'USDC',
    version: '2',
    decimals: 6,
    symbol: 'USDC',
  },
]);

const keyOf = (network: string, address: string): string => `${network}/${address.toLowerCase()}`;

function sameAsset(a: AssetEntry, b: AssetEntry): boolean {
  return (
    a.network === b.network &&
    a.address.toLowerCase() === b.address.toLowerCase() &&
    a.name === b.name &&
    a.version === b.version &&
    a.decimals === b.decimals &&
    a.symbol === b.symbol
  );
}

/** A mutable set of {@link AssetEntry}, keyed by `(network, lower-case address)`. */
export class AssetRegistry {
  private readonly entries = new Map<string, AssetEntry>();

  constructor(
    entries: readonly AssetEntry[] = DEFAULT_ASSETS,
    private readonly networks: NetworkRegistry = defaultNetworkRegistry,
  ) {
    for (const e of entries) this.register(e);
  }

  /**
   * Adds a token. Re-registering an identical entry is a no-op (the devchain registers its token on
   * every start); a different entry for the same `(network, address)` needs `replace: true`, because
   * silently changing an EIP-712 domain would make every later signature check fail.
   * @throws ProtocolError(`asset_registry`) on a malformed address, non-CAIP-2 network, decimals
   *   outside 0..255 (uint8), empty name/version, or a conflicting entry without `replace`.
   */
  register(entry: AssetEntry, options: { replace?: boolean } = {}): AssetEntry {
    if (this.networks.toCaip2(entry.network) !== entry.network) {
      throw new ProtocolError('asset_registry', `asset network ${JSON.stringify(entry.network)} is not a CAIP-2 eip155 id`);
    }
    if (!ADDRESS_RE.test(entry.address)) {
      throw new ProtocolError('asset_registry', `asset address ${JSON.stringify(entry.address)} is not 0x + 40 hex`);
    }
    if (!Number.isInteger(entry.decimals) || entry.decimals < 0 || entry.decimals > 255) {
      throw new ProtocolError('asset_registry', `asset decimals ${entry.decimals} is not an integer in 0..255`);
    }
    if (entry.name === '' || entry.version === '') {
      throw new ProtocolError('asset_registry', 'asset EIP-712 name and version must be non-empty');
    }
    const key = keyOf(entry.network, entry.address);
    const existing = this.entries.get(key);
    if (existing && !sameAsset(existing, entry) && !options.replace) {
      throw new ProtocolError(
        'asset_registry',
        `asset ${entry.address} on ${entry.network} is already registered as ${existing.name}/${existing.version}`,
      );
    }
    if (existing && sameAsset(existing, entry)) return existing;
    const frozen = Object.freeze({ ...entry });
    this.entries.set(key, frozen);
    return frozen;
  }

  /** The token at `address` on `network` (CAIP-2 or v1 name), checksum-insensitive; `undefined` if unknown. */
  find(network: string, address: string): AssetEntry | undefined {
    const caip2 = this.networks.toCaip2(network);
    return caip2 === undefined ? undefined : this.entries.get(keyOf(caip2, address));
  }

  /** Registered tokens, optionally only those of one network (CAIP-2 or v1 name). */
  list(network?: string): AssetEntry[] {
    const all = [...this.entries.values()];
    if (network === undefined) return all;
    const caip2 = this.networks.toCaip2(network);
    return all.filter((a) => a.network === caip2);
  }
}

/** The process-wide asset registry. */
export const defaultAssetRegistry = new AssetRegistry();

/**
 * Registers a token in the default registry (see {@link AssetRegistry.register}).
 * @throws ProtocolError(`asset_registry`)
 */
export function registerAsset(entry: AssetEntry, options?: { replace?: boolean }): AssetEntry {
  return defaultAssetRegistry.register(entry, options);
}

/** Looks a token up in the default registry; checksum-insensitive; network as CAIP-2 or v1 name. */
export function findAsset(network: string, address: string): AssetEntry | undefined {
  return defaultAssetRegistry.find(network, address);
}

/** Tokens in the default registry, optionally of one network. */
export function listAssets(network?: string): AssetEntry[] {
  return defaultAssetRegistry.list(network);
}

function assertDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) {
    throw new ProtocolError('decimal_format', `decimals ${decimals} is not an integer in 0..255`);
  }
}

/**
 * Formats atomic units as a human decimal string: `formatAtomic(1500000n, 6) === "1.5"`,
 * `formatAtomic(5n, 6) === "0.000005"`, no trailing zeros, no exponent, exact for any size.
 * @throws ProtocolError(`decimal_format`) when `decimals` is not an integer in 0..255.
 */
export function formatAtomic(amount: bigint, decimals: number): string {
  assertDecimals(decimals);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const digits = abs.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

const DECIMAL_RE = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/**
 * Parses a human decimal string into atomic units: `parseDecimal("1.5", 6) === 1500000n`.
 * Accepts `-?digits(.digits)?` only (no exponent, no `+`, no spaces, no bare `.5`).
 * Trailing zeros beyond `decimals` are fine (`"1.50000000"` with 6).
 * @throws ProtocolError(`decimal_format`) on any other text, or when a non-zero digit lies beyond
 *   `decimals` (never rounds: a lost fraction of a token is lost money).
 */
export function parseDecimal(value: string, decimals: number): bigint {
  assertDecimals(decimals);
  const m = DECIMAL_RE.exec(value);
  if (!m) throw new ProtocolError('decimal_format', `${JSON.stringify(value)} is not a decimal number`);
  const [, sign, whole, fraction = ''] = m;
  if (fraction.length > decimals && /[1-9]/.test(fraction.slice(decimals))) {
    throw new ProtocolError('decimal_format', `${value} has more than ${decimals} fractional digits`);
  }
  const atomic = BigInt(whole + fraction.slice(0, decimals).padEnd(decimals, '0'));
  return sign === '-' ? -atomic : atomic;
}
