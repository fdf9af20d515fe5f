import { TOKEN_PROGRAM_ADDRESS, parseTransferCheckedInstruction } from '@solana-program/token';
import { TOKEN_2022_PROGRAM_ADDRESS, parseTransferCheckedInstruction as parseTransferChecked2022 } from '@solana-program/token-2022';
import type {
  ExactSvmSchemePayload,
  MechanismVerdict,
  NetworkRegistry,
  NormalizedPayment,
  PaymentClaim,
  SchemeMechanism,
  SupportedKind,
  VerifyLane,
} from '@tollgate/protocol';
import { svmEnvelopeRules, svmTransferRules, type SvmRuleInput, type SvmRuleLimits } from './exact-svm-rules';
import type { SvmChainReader } from './svm-chain-reader';
import { SvmReason } from './svm-reasons';
import { decodeSvmTransaction, signatureOf } from './svm-transaction';

/** Solana's target slot time; a blockhash's remaining blocks times this is its remaining lifetime. */
export const SOLANA_SLOT_MS = 400;

/** One served Solana network: its chain reader, accepted mints and the fee payers that settle there. */
export interface ExactSvmNetwork {
  network: string;
  reader: SvmChainReader;
  /** Accepted mints (base58). */
  assets: readonly string[];
  /** Fee-payer addresses (base58) Tollgate's workers sign with. */
  feePayers: readonly string[];
}

/** Per-facilitator limits (as the reference's options); all optional. */
export type ExactSvmOptions = Omit<SvmRuleLimits, 'feePayers'> & { slotMs?: number };

/**
 * `exact` on Solana (x402 scheme_exact_svm.md) behind the scheme seam: the reference verify's rules in its
 * order with its reason codes, then Tollgate's own (the blockhash leaves the settlement window; the payer's
 * token balance for the exposure guard). A payment's claim: payer = the transfer authority, nonce = the
 * message hash (`0x` + SHA-256 hex), signature = the payer-signed transaction itself (base64 wire bytes:
 * the worker co-signs and broadcasts exactly it, and the payer's signature alone could not rebuild it),
 * validBefore = when the blockhash expires, as the first verify in this process computed it.
 */
export class ExactSvmMechanism implements SchemeMechanism {
  readonly scheme = 'exact';
  readonly namespace = 'solana';
  readonly signerPattern = 'solana:*';
  readonly nonceConflictReason = SvmReason.TransactionAlreadyUsed;
  private readonly byNetwork: Map<string, ExactSvmNetwork>;
  /** `network|blockhash` → unix seconds the blockhash expires, fixed by the first verify (claims must not drift). */
  private readonly deadlines = new Map<string, bigint>();

  /**
   * @param networks the served Solana networks (from configuration).
   * @param registry maps v1 names (`solana-devnet`) to CAIP-2.
   */
  constructor(
    networks: readonly ExactSvmNetwork[],
    private readonly registry: NetworkRegistry,
    private readonly options: ExactSvmOptions = {},
  ) {
    this.byNetwork = new Map(networks.map((n) => [n.network, n]));
  }

  /** Base58 addresses are case-sensitive and have one form. */
  canonicalAddress(address: string): string {
    return address;
  }

  displayAddress(address: string): string {
    return address;
  }

  /**
   * The claim without I/O. `validBefore` depends on the chain (block height at verify), so it is known only
   * after a verify of the same blockhash in this process.
   * @returns undefined when the transaction does not decode to a transfer, or no verify has fixed its deadline.
   */
  claimOf(p: NormalizedPayment): PaymentClaim | undefined {
    const decoded = decodeSvmTransaction(svmPayload(p).transaction);
    const ix = decoded?.instructions[2];
    if (!decoded || !ix) return undefined;
    const deadline = this.deadlines.get(`${p.network}|${decoded.blockhash}`);
    if (deadline === undefined) return undefined;
    let parsed: ReturnType<typeof parseTransferCheckedInstruction>;
    try {
      if (ix.programAddress === TOKEN_PROGRAM_ADDRESS) parsed = parseTransferCheckedInstruction(ix as never);
      else if (ix.programAddress === TOKEN_2022_PROGRAM_ADDRESS) parsed = parseTransferChecked2022(ix as never);
      else return undefined;
    } catch {
      return undefined;
    }
    const payer = parsed.accounts.authority.address;
    if (!signatureOf(decoded.transaction, payer)) return undefined;
    return {
      payer,
      payerDisplay: payer,
      payTo: p.payTo,
      asset: p.asset,
      nonce: decoded.messageHash,
      signature: svmPayload(p).transaction,
      value: parsed.data.amount,
      validAfter: 0n,
      validBefore: deadline,
    };
  }

  staticRules(p: NormalizedPayment, lane: VerifyLane): (MechanismVerdict & { isValid: false }) | null {
    const r = svmEnvelopeRules(this.inputOf(p), this.limitsOf(lane));
    return r.ok ? null : { isValid: false, reason: r.reason, message: r.message };
  }

  async verify(p: NormalizedPayment, lane: VerifyLane): Promise<MechanismVerdict> {
    const net = this.netOf(lane);
    const input = this.inputOf(p);
    const limits = this.limitsOf(lane);
    const envelope = svmEnvelopeRules(input, limits);
    if (!envelope.ok) return { isValid: false, reason: envelope.reason, message: envelope.message };
    const t = await svmTransferRules(envelope.decoded, input, limits);
    if (!t.ok) return { isValid: false, payer: t.payer, reason: t.reason, message: t.message };
    const payer = t.authority;

    const sim = await net.reader.simulate(input.transaction);
    if (sim.err !== null && sim.err !== undefined) {
      return { isValid: false, payer, reason: SvmReason.SimulationFailed, message: `Simulation failed: ${jsonOf(sim.err)}` };
    }
    // Tollgate's own: the queue needs the settlement window before the blockhash dies.
    const standing = await net.reader.blockhashStanding(t.decoded.blockhash);
    if (!standing.valid) return { isValid: false, payer, reason: SvmReason.SimulationFailed, message: 'Simulation failed: "BlockhashNotFound"' };
    const key = `${lane.network}|${t.decoded.blockhash}`;
    let deadline = this.deadlines.get(key);
    if (deadline === undefined) {
      const remainingBlocks = standing.lastValidBlockHeight > standing.blockHeight ? standing.lastValidBlockHeight - standing.blockHeight : 0n;
      deadline = lane.nowSeconds + (remainingBlocks * BigInt(this.options.slotMs ?? SOLANA_SLOT_MS)) / 1000n;
      this.remember(key, deadline, lane.nowSeconds);
    }
    if (deadline - lane.nowSeconds < BigInt(lane.settlementWindowSeconds)) {
      return {
        isValid: false,
        payer,
        reason: SvmReason.BlockhashTooOld,
        message: `the blockhash expires in ${deadline - lane.nowSeconds} s, less than the ${lane.settlementWindowSeconds} s settlement window`,
      };
    }
    const balance = await net.reader.tokenBalance(t.source);
    const claim = this.claimOf(p);
    if (!claim) throw new Error('exact-SVM claim unavailable right after verify (a bug)');
    return { isValid: true, claim, balance };
  }

  /** v2 and v1 kinds with `extra.feePayer` (the first signer; clients put it in the transaction). */
  supportedKinds(network: string, v1Name: string | undefined, signers: readonly string[]): SupportedKind[] {
    const feePayer = signers[0] ?? this.byNetwork.get(network)?.feePayers[0];
    const extra = feePayer ? { feePayer } : undefined;
    const kinds: SupportedKind[] = [{ x402Version: 2, scheme: 'exact', network, ...(extra ? { extra } : {}) }];
    if (v1Name) kinds.push({ x402Version: 1, scheme: 'exact', network: v1Name, ...(extra ? { extra } : {}) });
    return kinds;
  }

  /** Keeps the deadline map bounded: entries long past their deadline cannot match a live payment. */
  private remember(key: string, deadline: bigint, now: bigint): void {
    if (this.deadlines.size > 50_000) {
      for (const [k, d] of this.deadlines) if (d < now - 3600n) this.deadlines.delete(k);
    }
    this.deadlines.set(key, deadline);
  }

  private netOf(lane: VerifyLane): ExactSvmNetwork {
    const net = this.byNetwork.get(lane.network);
    if (!net || !net.assets.includes(lane.asset)) throw new Error(`no Solana lane ${lane.network}/${lane.asset} is configured`);
    return net;
  }

  private limitsOf(lane: VerifyLane): SvmRuleLimits {
    return { ...this.options, feePayers: this.netOf(lane).feePayers };
  }

  private inputOf(p: NormalizedPayment): SvmRuleInput {
    return {
      scheme: p.scheme,
      payloadScheme: p.payloadScheme,
      network: p.network,
      // v1 payloads name networks (`solana-devnet`); compare in CAIP-2 either way.
      payloadNetwork: this.registry.toCaip2(p.payloadNetwork) ?? p.payloadNetwork,
      asset: p.asset,
      payTo: p.payTo,
      amount: p.amount,
      extra: p.extra,
      transaction: svmPayload(p).transaction,
    };
  }
}

/** The Solana payload of a payment. @throws Error for another family's payload (the registry routes by namespace). */
function svmPayload(p: NormalizedPayment): ExactSvmSchemePayload {
  if (p.payload.family !== 'solana') throw new Error(`exact-SVM mechanism given a ${String(p.payload.family)} payload`);
  return p.payload;
}

function jsonOf(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
