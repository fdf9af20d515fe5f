import { getAddress } from 'viem';
import type {
  ExactEvmSchemePayload,
  MechanismVerdict,
  NetworkRegistry,
  NormalizedPayment,
  PaymentClaim,
  SchemeMechanism,
  SupportedKind,
  VerifyLane,
} from '@tollgate/protocol';
import { ExactAsset, ExactEvmVerifier, ExactPaymentInput } from './exact-verifier';

/** One served EVM network as the mechanism needs it: its chain id and accepted tokens with their EIP-712 domains. */
export interface ExactEvmNetwork {
  network: string;
  chainId: number;
  assets: readonly ExactAsset[];
}

/**
 * `exact` on EVM (x402 scheme_exact_evm.md, EIP-3009 `transferWithAuthorization`) behind the scheme seam:
 * {@link ExactEvmVerifier}'s rules, the EIP-3009 fields mapped onto the ledger's claim (nonce = the
 * authorization nonce, canonical addresses in lower case), and the `/supported` kinds (no `extra`).
 */
export class ExactEvmMechanism implements SchemeMechanism {
  readonly scheme = 'exact';
  readonly namespace = 'eip155';
  readonly signerPattern = 'eip155:*';
  readonly nonceConflictReason = 'invalid_exact_evm_nonce_already_used';
  private readonly byNetwork: Map<string, ExactEvmNetwork>;

  /**
   * @param networks the served EVM networks (from configuration).
   * @param registry maps v1 network names to CAIP-2 (a v1 payload names its network the v1 way).
   * @param options.simulate simulate `transferWithAuthorization` on every verify (VERIFY_SIMULATION).
   */
  constructor(
    private readonly verifier: ExactEvmVerifier,
    networks: readonly ExactEvmNetwork[],
    private readonly registry: NetworkRegistry,
    private readonly options: { simulate: boolean },
  ) {
    this.byNetwork = new Map(networks.map((n) => [n.network, n]));
  }

  canonicalAddress(address: string): string {
    return address.toLowerCase();
  }

  displayAddress(address: string): string {
    return getAddress(address);
  }

  claimOf(p: NormalizedPayment): PaymentClaim {
    const { signature, authorization: a } = evmPayload(p);
    return {
      payer: a.from.toLowerCase(),
      payerDisplay: getAddress(a.from),
      payTo: a.to.toLowerCase(),
      asset: p.asset.toLowerCase(),
      nonce: a.nonce.toLowerCase(),
      signature: signature.toLowerCase(),
      value: a.value,
      validAfter: a.validAfter,
      validBefore: a.validBefore,
    };
  }

  staticRules(p: NormalizedPayment, lane: VerifyLane): (MechanismVerdict & { isValid: false }) | null {
    const { asset } = this.laneOf(lane);
    return this.verifier.staticRules(this.inputOf(p), { asset, nowSeconds: lane.nowSeconds, settlementWindowSeconds: lane.settlementWindowSeconds });
  }

  async verify(p: NormalizedPayment, lane: VerifyLane): Promise<MechanismVerdict> {
    const { net, asset } = this.laneOf(lane);
    const result = await this.verifier.verify(this.inputOf(p), {
      chainId: net.chainId,
      asset: { ...asset },
      nowSeconds: lane.nowSeconds,
      settlementWindowSeconds: lane.settlementWindowSeconds,
      simulate: this.options.simulate,
    });
    if (!result.isValid) return result;
    return { isValid: true, claim: this.claimOf(p), balance: result.balance };
  }

  supportedKinds(network: string, v1Name: string | undefined): SupportedKind[] {
    const kinds: SupportedKind[] = [{ x402Version: 2, scheme: 'exact', network }];
    if (v1Name) kinds.push({ x402Version: 1, scheme: 'exact', network: v1Name });
    return kinds;
  }

  /** The served network and token of a lane. @throws Error when the lane is not configured (a wiring bug). */
  private laneOf(lane: VerifyLane): { net: ExactEvmNetwork; asset: ExactAsset } {
    const net = this.byNetwork.get(lane.network);
    const asset = net?.assets.find((a) => a.address.toLowerCase() === lane.asset.toLowerCase());
    if (!net || !asset) throw new Error(`no EVM lane ${lane.network}/${lane.asset} is configured`);
    return { net, asset };
  }

  /** The exact-EVM verifier's view of a parsed request. */
  private inputOf(p: NormalizedPayment): ExactPaymentInput {
    const { signature, authorization } = evmPayload(p);
    return {
      scheme: p.scheme,
      payloadScheme: p.payloadScheme,
      network: p.network as `eip155:${number}`,
      // v1 payloads name networks (`base`); compare in CAIP-2 either way.
      payloadNetwork: this.registry.toCaip2(p.payloadNetwork) ?? p.payloadNetwork,
      payTo: p.payTo as `0x${string}`,
      amount: p.amount,
      extra: p.extra,
      signature,
      authorization: { ...authorization },
    };
  }
}

/** The EIP-3009 payload of a payment. @throws Error for another family's payload (the registry routes by namespace). */
function evmPayload(p: NormalizedPayment): ExactEvmSchemePayload {
  if (p.payload.family !== 'eip155') throw new Error(`exact-EVM mechanism given a ${String(p.payload.family)} payload`);
  return p.payload;
}
