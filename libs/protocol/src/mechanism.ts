/**
 * The scheme seam. x402 calls the chain-specific code that implements a *scheme* (`exact`) on a chain
 * family a *mechanism* (x402 specification v2 §4, "schemes and mechanisms"). Everything above the seam —
 * the facilitator endpoints, the ledger's accept rule, idempotency, `/supported` — is the same for every
 * chain family; everything below it is one library per family (`@tollgate/evm` for `eip155`, …), registered
 * once in the API's mechanism list. Adding a chain family is a new library and one registration.
 */
import type { NormalizedPayment, SupportedKind } from './types';

/**
 * What the ledger records of a payment, in the mechanism's canonical (stored) forms. Every mechanism maps
 * its payload onto these columns; `(network, asset, payer, nonce)` is unique per payment.
 */
export interface PaymentClaim {
  /** Who pays, canonical (EVM: lower-case hex; Solana: base58 as is). */
  payer: string;
  /** Who pays, as answers show it (EVM: EIP-55 checksummed). */
  payerDisplay: string;
  /** Recipient, canonical. */
  payTo: string;
  /** Token (EVM contract, Solana mint), canonical. */
  asset: string;
  /** The per-payer uniqueness key: EIP-3009 nonce on EVM; the transaction message hash on Solana. */
  nonce: string;
  /** The payer's signature, canonical (compared byte for byte by idempotent repeats). */
  signature: string;
  /** Atomic units the payment moves. */
  value: bigint;
  /** Unix seconds from which the payment may settle (0 when the scheme has no such bound). */
  validAfter: bigint;
  /** Unix seconds after which the payment can no longer settle. */
  validBefore: bigint;
}

/** The network, token and deadlines a payment is verified against (one served lane). */
export interface VerifyLane {
  /** CAIP-2 network. */
  network: string;
  /** Token address or mint, as configured. */
  asset: string;
  /** Seconds the payment must stay valid beyond now so the queue can still settle it. */
  settlementWindowSeconds: number;
  /** Wall-clock unix seconds used for every time rule of this verification. */
  nowSeconds: bigint;
}

/** A mechanism's verdict on one payment. Reasons are x402 `invalidReason` codes (or `tollgate_*`). */
export type MechanismVerdict =
  | {
      isValid: true;
      claim: PaymentClaim;
      /** The payer's on-chain balance of the asset in atomic units, for the exposure guard; null when unknown. */
      balance: bigint | null;
    }
  | { isValid: false; payer?: string; reason: string; message: string };

/**
 * One scheme on one chain family. Implementations never throw for a bad payment (they answer a verdict);
 * infrastructure failures (RPC, timeouts) propagate, and the caller answers `unexpected_verify_error`.
 */
export interface SchemeMechanism {
  /** The x402 scheme, `exact`. */
  readonly scheme: string;
  /** CAIP-2 namespace of the chain family served (`eip155`, `solana`). */
  readonly namespace: string;
  /** Pattern under which `/supported` lists this mechanism's signers (`eip155:*`). */
  readonly signerPattern: string;
  /** Reason code when another pending payment already holds the payer's nonce (the ledger found it). */
  readonly nonceConflictReason: string;

  /** Canonical (stored) form of an address or token of this family: how `payTo` ownership and lanes compare. */
  canonicalAddress(address: string): string;

  /** Display form of a canonical address (EVM: EIP-55 checksummed), as answers show payers. */
  displayAddress(address: string): string;

  /**
   * The claim the payload makes, unverified (no I/O): how idempotent repeats and the settle shortcut match rows.
   * Undefined when the mechanism cannot know it without I/O (Solana: the blockhash's deadline is fixed by a
   * verify in this process); callers then take the full verify path.
   */
  claimOf(p: NormalizedPayment): PaymentClaim | undefined;

  /**
   * The rules that need neither signatures nor the chain, in verify order.
   * @returns the first failure, or null when all pass.
   */
  staticRules(p: NormalizedPayment, lane: VerifyLane): (MechanismVerdict & { isValid: false }) | null;

  /** Every rule of the scheme on this family, chain reads included. */
  verify(p: NormalizedPayment, lane: VerifyLane): Promise<MechanismVerdict>;

  /**
   * `/supported` kinds for one served network (v2 under CAIP-2; v1 under `v1Name` when given), with the
   * `extra` the scheme needs clients to see (Solana's `feePayer`); `signers` are the addresses that settle.
   */
  supportedKinds(network: string, v1Name: string | undefined, signers: readonly string[]): SupportedKind[];
}

/**
 * The registered mechanisms, looked up by the CAIP-2 namespace of a network and the scheme.
 * @throws Error when two mechanisms register the same scheme and namespace.
 */
export class MechanismRegistry {
  private readonly byKey = new Map<string, SchemeMechanism>();

  constructor(mechanisms: readonly SchemeMechanism[]) {
    for (const m of mechanisms) {
      const key = `${m.scheme}|${m.namespace}`;
      if (this.byKey.has(key)) throw new Error(`mechanism ${m.scheme} on ${m.namespace} is registered twice`);
      this.byKey.set(key, m);
    }
  }

  /** The mechanism serving `scheme` on `network` (CAIP-2), if any. */
  find(scheme: string, network: string): SchemeMechanism | undefined {
    return this.byKey.get(`${scheme}|${namespaceOf(network)}`);
  }

  /**
   * The mechanism serving `scheme` on `network`.
   * @throws Error when none is registered (the request parser only admits served networks, so this is a wiring bug).
   */
  get(scheme: string, network: string): SchemeMechanism {
    const m = this.find(scheme, network);
    if (!m) throw new Error(`no ${scheme} mechanism is registered for ${network}`);
    return m;
  }

  /** Every registered mechanism. */
  list(): SchemeMechanism[] {
    return [...this.byKey.values()];
  }
}

/** The CAIP-2 namespace of a network id (`eip155:8453` → `eip155`). */
export function namespaceOf(network: string): string {
  const i = network.indexOf(':');
  return i < 0 ? network : network.slice(0, i);
}
