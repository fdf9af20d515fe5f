import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { FacilitatorReads, PaymentLedger, type HandedOverRow, type RecentAuthorization, type RecentQueueOptions, SettlementMode } from '@tollgate/persistence';
import { MechanismRegistry, type NormalizedPayment, type PaymentClaim, type SchemeMechanism, type VerifyLane } from '@tollgate/protocol';
import { AuthenticatedMerchant } from '../merchants/merchants.service';

/** A payment Tollgate has accepted (recorded as `verified`, or found already recorded as such). */
export interface AcceptedPayment {
  ok: true;
  paymentId: string;
  reference: string;
  /** As answers show it (EVM: checksummed). */
  payer: string;
  /** Unix seconds. */
  validBefore: bigint;
  created: boolean;
}

export interface RejectedPayment {
  ok: false;
  reason: string;
  message: string;
  payer?: string;
  /** Set when the authorization is already queued or settled through Tollgate. */
  existingStatus?: string;
}

/** A deferred settle's shortcut: the authorization to match and the conditions of {@link PaymentLedger.queueRecentlyVerified}. */
export interface SettleShortcut {
  authorization: RecentAuthorization;
  /** The payer as answers show it. */
  payerDisplay: string;
  conditions: Pick<RecentQueueOptions, 'maxAgeSeconds' | 'windowSeconds'>;
}

/** Postgres timestamps top out in year 294276; uint256 validBefore values do not. */
const MAX_EXPIRY_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

/** Random bytes drawn at once for {@link newPaymentReference}: 256 references per draw. */
const REFERENCE_POOL_BYTES = 4096;
let referencePool = Buffer.alloc(0);
let referenceOffset = 0;

/**
 * Public, unguessable payment reference: `pay_` and the 16 bytes of a random (version 4) UUID, base64url; the
 * payment created with it takes that UUID as its id, so a lookup by reference is a primary-key lookup
 * (libs/persistence/src/payments/payment-reference.ts). 122 bits from the CSPRNG, as `randomUUID()`. The bytes
 * come from a pool refilled 4 KB at a time (as node's randomUUID does): one randomBytes(16) per verify cost
 * ≈ 1 % of the API's CPU under load; each byte is still used once.
 */
export function newPaymentReference(): string {
  if (referenceOffset + 16 > referencePool.length) {
    referencePool = randomBytes(REFERENCE_POOL_BYTES);
    referenceOffset = 0;
  }
  const o = referenceOffset;
  referencePool[o + 6] = (referencePool[o + 6] & 0x0f) | 0x40; // version 4
  referencePool[o + 8] = (referencePool[o + 8] & 0x3f) | 0x80; // RFC 4122 variant
  const reference = `pay_${referencePool.toString('base64url', o, o + 16)}`;
  referenceOffset += 16;
  return reference;
}

/**
 * Verification as a deferred-settlement facilitator must do it, for every chain family alike: the served
 * lane and `payTo` ownership, the scheme's rules (the network's {@link SchemeMechanism}), then — under a
 * per-payer advisory lock so concurrent verifies from one payer serialize while others run in
 * parallel — the ledger rules: not already queued/settled through Tollgate, and the exposure guard
 * (payer's unsettled accepted total + this value ≤ on-chain balance; merchant's unsettled total on the lane
 * + this value ≤ its maximum unsettled exposure, when set). A valid payment is recorded as
 * `verified` with one INSERT; a repeated verify of a merely verified payment is a retry.
 */
@Injectable()
export class PaymentAcceptanceService {
  private readonly logger = new Logger(PaymentAcceptanceService.name);
  private readonly networks: Map<string, LaneNetwork>;

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly reads: FacilitatorReads,
    private readonly mechanisms: MechanismRegistry,
    private readonly ledger: PaymentLedger,
  ) {
    this.networks = new Map<string, LaneNetwork>([...config.networks, ...(config.solanaNetworks ?? [])].map((n) => [n.network, n]));
  }

  /** @throws only on infrastructure failure (RPC, database); the caller answers `unexpected_*_error`. */
  async accept(p: NormalizedPayment, merchant: AuthenticatedMerchant): Promise<AcceptedPayment | RejectedPayment> {
    const lane = this.laneOf(p, merchant);
    if (!lane.ok) return lane;
    const verdict = await lane.mechanism.verify(p, lane.verifyLane);
    if (!verdict.isValid) return { ok: false, payer: verdict.payer ?? p.payer, reason: verdict.reason, message: verdict.message };
    return this.record(p, merchant, lane.mechanism, verdict.claim, verdict.balance);
  }

  /** The served network and accepted asset of the payment, with `payTo` owned by the merchant, and the mechanism that verifies it. */
  private laneOf(p: NormalizedPayment, merchant: AuthenticatedMerchant): RejectedPayment | ServedLane {
    const payer = p.payer;
    const net = this.networks.get(p.network);
    const mechanism = this.mechanisms.find(p.scheme, p.network);
    if (!net || !mechanism) return { ok: false, payer, reason: 'invalid_network', message: `network ${p.network} is not served by this facilitator` };
    const asset = net.assets.find((a) => mechanism.canonicalAddress(a.address) === mechanism.canonicalAddress(p.asset));
    if (!asset) {
      return { ok: false, payer, reason: 'tollgate_asset_not_supported', message: `asset ${p.asset} is not accepted on ${p.network}` };
    }
    if (!merchant.payTo.has(mechanism.canonicalAddress(p.payTo))) {
      return { ok: false, payer, reason: 'tollgate_pay_to_not_owned', message: `payTo ${p.payTo} is not registered to this merchant` };
    }
    return {
      ok: true,
      mechanism,
      net,
      verifyLane: { network: p.network, asset: asset.address, settlementWindowSeconds: net.settlementWindowSeconds, nowSeconds: nowSeconds() },
    };
  }

  /**
   * The payment this merchant already handed over for settlement with this identical request — same lane,
   * x402 version and scheme, every signed field of the authorization and its signature, and the same
   * requirements (`payTo`, `amount`, `asset`, `maxTimeoutSeconds`, `extra`) — once it is `queued` or further
   * (failed included). A repeat of such a settle (its answer was lost) is answered from this payment instead of
   * re-verifying against a chain where our own transaction may already have used the nonce.
   * One indexed read ({@link FacilitatorReads.findHandedOver}); off the settle shortcut's path.
   * @returns the payment as it stands now, or undefined when none matches.
   */
  async findHandedOver(p: NormalizedPayment, merchant: AuthenticatedMerchant): Promise<HandedOverPayment | undefined> {
    const a = this.mechanisms.get(p.scheme, p.network).claimOf(p);
    if (!a) return undefined;
    const row = await this.reads.findHandedOver({
      network: p.network,
      asset: a.asset,
      payer: a.payer,
      nonce: a.nonce,
      signature: a.signature,
      merchantId: merchant.id,
      payTo: a.payTo,
      value: a.value.toString(),
      validAfter: a.validAfter.toString(),
      validBefore: a.validBefore.toString(),
      x402Version: p.x402Version,
      scheme: p.scheme,
      requirements: requirementsJson(p),
    });
    return row && this.handedOver(row);
  }

  /** The payment `id` of `merchantId` as it stands now (a payment-identifier's stored answer points to it). */
  async findPayment(id: string, merchantId: string): Promise<HandedOverPayment | undefined> {
    const row = await this.reads.findOfMerchant(id, merchantId);
    return row && this.handedOver(row);
  }

  /**
   * The deferred-settle shortcut: when this merchant verified the identical authorization less than
   * SETTLE_REVERIFY_AFTER_SECONDS ago, the settle may queue it on the strength of that verify — no signature
   * recovery, no chain reads (see {@link PaymentLedger.queueRecentlyVerified} for what the statement matches).
   * The lane and the verifier's signature-free rules are applied again here; no I/O.
   * @returns what the queue statement must match, or undefined when the full path must decide.
   */
  shortcutFor(p: NormalizedPayment, merchant: AuthenticatedMerchant): SettleShortcut | undefined {
    if (this.config.settleReverifyAfterSeconds <= 0) return undefined;
    const lane = this.laneOf(p, merchant);
    if (!lane.ok) return undefined;
    if (lane.mechanism.staticRules(p, lane.verifyLane)) return undefined;
    const c = lane.mechanism.claimOf(p);
    if (!c) return undefined;
    return {
      authorization: { network: p.network, asset: c.asset, payer: c.payer, payTo: c.payTo, value: c.value, validAfter: c.validAfter, validBefore: c.validBefore, nonce: c.nonce, signature: c.signature },
      payerDisplay: c.payerDisplay,
      conditions: { maxAgeSeconds: this.config.settleReverifyAfterSeconds, windowSeconds: lane.net.settlementWindowSeconds },
    };
  }

  /** A payment row as the settle answers need it (the payer in its family's display form). */
  private handedOver(r: HandedOverRow): HandedOverPayment {
    return {
      paymentId: r.id,
      reference: r.reference,
      status: r.status,
      payer: this.mechanisms.get(r.scheme, r.network).displayAddress(r.payer),
      validBefore: BigInt(r.valid_before),
      settlementMode: r.settlement_mode ?? 'deferred',
      txHash: r.tx_hash,
      failureReason: r.failure_reason,
      failureMessage: r.failure_message,
    };
  }

  /**
   * The ledger rules in one round trip through {@link PaymentLedger.accept} (the accept rule, on the API's
   * asynchronously committing pool, concurrent verifies sharing one statement), its outcome put in x402 terms.
   */
  private async record(
    p: NormalizedPayment,
    merchant: AuthenticatedMerchant,
    mechanism: SchemeMechanism,
    a: PaymentClaim,
    balance: bigint | null,
  ): Promise<AcceptedPayment | RejectedPayment> {
    const payer = a.payerDisplay;
    const expiresAt = new Date(Number(a.validBefore > MAX_EXPIRY_SECONDS ? MAX_EXPIRY_SECONDS : a.validBefore) * 1000);
    const r = await this.ledger.accept({
      network: p.network,
      asset: a.asset,
      payer: a.payer,
      nonce: a.nonce,
      signature: a.signature,
      merchantId: merchant.id,
      amount: a.value.toString(),
      payerBalance: this.config.exposureGuard && balance !== null ? balance.toString() : null,
      merchantMaxExposure: merchant.maxUnsettledExposure === null ? null : merchant.maxUnsettledExposure.toString(),
      reference: newPaymentReference(),
      x402Version: p.x402Version,
      scheme: p.scheme,
      payTo: mechanism.canonicalAddress(p.payTo),
      validAfter: a.validAfter.toString(),
      validBefore: a.validBefore.toString(),
      expiresAt,
      paymentIdentifier: p.paymentIdentifier ?? null,
      requirements: storedRequirementsJson(p),
    });
    switch (r.outcome) {
      case 'created':
      case 'retry':
        return { ok: true, paymentId: r.payment_id!, reference: r.payment_reference!, payer, validBefore: a.validBefore, created: r.outcome === 'created' };
      case 'already_settled': {
        const [status, failure] = (r.detail ?? '').split(':');
        return {
          ok: false,
          payer,
          reason: 'tollgate_authorization_already_settled',
          existingStatus: status,
          message:
            status === 'failed' || status === 'lapsed'
              ? `this authorization was already submitted to Tollgate and ended ${status}${failure ? ` (${failure})` : ''}`
              : `this authorization is already ${status} for settlement through Tollgate`,
        };
      }
      case 'nonce_conflict':
        return { ok: false, payer, reason: mechanism.nonceConflictReason, message: 'another authorization with this payer and nonce is already pending at Tollgate' };
      case 'payer_exposure':
        return {
          ok: false,
          payer,
          reason: 'tollgate_exposure_exceeded',
          message: `payer has ${r.detail} atomic units accepted but not yet settled; with ${a.value} more that exceeds the on-chain balance ${balance}`,
        };
      case 'merchant_exposure':
        return {
          ok: false,
          payer,
          reason: 'tollgate_exposure_exceeded',
          message: `merchant has ${r.detail} atomic units accepted but not yet settled; with ${a.value} more that exceeds its maximum unsettled exposure ${merchant.maxUnsettledExposure}`,
        };
      default:
        throw new Error(`tollgate_accept_payment returned unknown outcome ${r.outcome}`);
    }
  }
}

/**
 * The requirements a settle repeat must match ({@link PaymentAcceptanceService.findHandedOver}, compared as
 * jsonb with the stored requirements minus `resource`).
 */
function requirementsJson(p: NormalizedPayment): string {
  return JSON.stringify(matchedRequirements(p));
}

function matchedRequirements(p: NormalizedPayment): Record<string, unknown> {
  return { payTo: p.payTo, amount: p.amount.toString(), asset: p.asset, maxTimeoutSeconds: p.maxTimeoutSeconds, extra: p.extra };
}

/**
 * The requirements a payment row keeps (`payments.requirements`): those a repeat must match plus, when the
 * request named it, the paid resource's URL under `resource` (v1 `paymentRequirements.resource`, v2
 * `paymentPayload.resource.url`), shown to the merchant with the payment. Not compared: a row stored before
 * the URL was kept has none, and its repeats must still be recognised.
 */
function storedRequirementsJson(p: NormalizedPayment): string {
  const kept = matchedRequirements(p);
  return JSON.stringify(p.resource === undefined ? kept : { ...kept, resource: p.resource });
}

/** A payment already handed over for settlement, as it stands now. */
export interface HandedOverPayment {
  paymentId: string;
  reference: string;
  status: string;
  /** As answers show it (EVM: checksummed). */
  payer: string;
  /** Unix seconds. */
  validBefore: bigint;
  settlementMode: SettlementMode;
  /** The inclusion transaction, once included. */
  txHash: string | null;
  failureReason: string | null;
  failureMessage: string | null;
}




/** A served lane of a payment, with the mechanism of its network's family. */
/** What a lane needs of a served network, EVM or Solana: its accepted tokens and settlement window. */
interface LaneNetwork {
  assets: ReadonlyArray<{ address: string }>;
  settlementWindowSeconds: number;
}

interface ServedLane {
  ok: true;
  mechanism: SchemeMechanism;
  net: LaneNetwork;
  verifyLane: VerifyLane;
}

/** Wall-clock unix seconds for the time rules. */
const nowSeconds = (): bigint => BigInt(Math.floor(Date.now() / 1000));
