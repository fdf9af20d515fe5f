import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { getAddress } from 'viem';
import { NetworkConfig, TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ExactEvmVerifier } from '@tollgate/evm';
import { PaymentLedger, UNSETTLED_STATUSES } from '@tollgate/persistence';
import { toCaip2, type NormalizedPayment } from '@tollgate/protocol';
import { AuthenticatedMerchant } from '../merchants/merchants.service';

/** A payment Tollgate has accepted (recorded as `verified`, or found already recorded as such). */
export interface AcceptedPayment {
  ok: true;
  paymentId: string;
  reference: string;
  payer: `0x${string}`;
  /** Unix seconds. */
  validBefore: bigint;
  created: boolean;
}

export interface RejectedPayment {
  ok: false;
  reason: string;
  message: string;
  payer?: `0x${string}`;
  /** Set when the authorization is already queued or settled through Tollgate. */
  existingStatus?: string;
}

/** Postgres timestamps top out in year 294276; uint256 validBefore values do not. */
const MAX_EXPIRY_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

/** Public, unguessable payment reference. */
export function newPaymentReference(): string {
  return `pay_${randomBytes(16).toString('base64url')}`;
}

/**
 * Verification as a deferred-settlement facilitator must do it: the exact-EVM rules, then — under a
 * per-payer advisory lock so concurrent verifies from one payer serialize while others run in
 * parallel — the ledger rules: not already queued/settled through Tollgate, and the exposure guard
 * (payer's unsettled accepted total + this value ≤ on-chain balance). A valid payment is recorded as
 * `verified` with one INSERT; a repeated verify of a merely verified payment is a retry.
 */
@Injectable()
export class PaymentAcceptanceService {
  private readonly logger = new Logger(PaymentAcceptanceService.name);
  private readonly networks: Map<string, NetworkConfig>;

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly verifier: ExactEvmVerifier,
    private readonly ledger: PaymentLedger,
  ) {
    this.networks = new Map(config.networks.map((n) => [n.network, n]));
  }

  /** @throws only on infrastructure failure (RPC, database); the caller answers `unexpected_*_error`. */
  async accept(p: NormalizedPayment, merchant: AuthenticatedMerchant): Promise<AcceptedPayment | RejectedPayment> {
    const payer = p.exact.authorization.from;
    const net = this.networks.get(p.network);
    if (!net) return { ok: false, payer, reason: 'invalid_network', message: `network ${p.network} is not served by this facilitator` };
    const asset = net.assets.find((a) => a.address.toLowerCase() === p.asset.toLowerCase());
    if (!asset) {
      return { ok: false, payer, reason: 'tollgate_asset_not_supported', message: `asset ${p.asset} is not accepted on ${p.network}` };
    }
    if (!merchant.payTo.has(p.payTo.toLowerCase())) {
      return { ok: false, payer, reason: 'tollgate_pay_to_not_owned', message: `payTo ${p.payTo} is not registered to this merchant` };
    }

    const nowSeconds = BigInt(Math.floor(Date.now() / 1000));
    const result = await this.verifier.verify(
      {
        scheme: p.scheme,
        payloadScheme: p.payloadScheme,
        network: p.network,
        // v1 payloads name networks (`base`); compare in CAIP-2 either way.
        payloadNetwork: toCaip2(p.payloadNetwork) ?? p.payloadNetwork,
        payTo: p.payTo,
        amount: p.amount,
        extra: p.extra,
        signature: p.exact.signature,
        authorization: { ...p.exact.authorization },
      },
      { chainId: net.chainId, asset: { ...asset }, nowSeconds, settlementWindowSeconds: net.settlementWindowSeconds },
    );
    if (!result.isValid) return { ok: false, payer, reason: result.reason, message: result.message };
    return this.record(p, merchant, result.balance);
  }

  private async record(p: NormalizedPayment, merchant: AuthenticatedMerchant, balance: bigint | null): Promise<AcceptedPayment | RejectedPayment> {
    const a = p.exact.authorization;
    const network = p.network;
    const asset = p.asset.toLowerCase();
    const payer = a.from.toLowerCase();
    const nonce = a.nonce.toLowerCase();
    const checksummedPayer = getAddress(a.from);
    return this.dataSource.transaction(async (m: EntityManager) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${network}|${asset}|${payer}`]);
      const existing: Array<{ id: string; reference: string; status: string; merchant_id: string; signature: string; failure_reason: string | null }> =
        await m.query(
          `SELECT id, reference, status, merchant_id, signature, failure_reason FROM payments
            WHERE network = $1 AND asset = $2 AND payer = $3 AND nonce = $4`,
          [network, asset, payer, nonce],
        );
      const prior = existing[0];
      if (prior) {
        if (prior.status !== 'verified') {
          return {
            ok: false as const,
            payer: checksummedPayer,
            reason: 'tollgate_authorization_already_settled',
            existingStatus: prior.status,
            message:
              prior.status === 'failed' || prior.status === 'lapsed'
                ? `this authorization was already submitted to Tollgate and ended ${prior.status}${prior.failure_reason ? ` (${prior.failure_reason})` : ''}`
                : `this authorization is already ${prior.status} for settlement through Tollgate`,
          };
        }
        if (prior.signature !== p.exact.signature.toLowerCase() || prior.merchant_id !== merchant.id) {
          return {
            ok: false as const,
            payer: checksummedPayer,
            reason: 'invalid_exact_evm_nonce_already_used',
            message: 'another authorization with this payer and nonce is already pending at Tollgate',
          };
        }
      }
      if (this.config.exposureGuard && balance !== null) {
        const [{ total }]: Array<{ total: string }> = await m.query(
          `SELECT coalesce(sum(amount), 0)::text AS total FROM payments
            WHERE network = $1 AND asset = $2 AND payer = $3 AND status = ANY($4::text[])
              AND (status <> 'verified' OR expires_at > now()) AND id IS DISTINCT FROM $5::uuid`,
          [network, asset, payer, UNSETTLED_STATUSES, prior?.id ?? null],
        );
        const unsettled = BigInt(total);
        if (unsettled + a.value > balance) {
          return {
            ok: false as const,
            payer: checksummedPayer,
            reason: 'tollgate_exposure_exceeded',
            message: `payer has ${unsettled} atomic units accepted but not yet settled; with ${a.value} more that exceeds the on-chain balance ${balance}`,
          };
        }
      }
      if (prior) {
        return { ok: true as const, paymentId: prior.id, reference: prior.reference, payer: checksummedPayer, validBefore: a.validBefore, created: false };
      }
      const reference = newPaymentReference();
      const expiresAt = new Date(Number(a.validBefore > MAX_EXPIRY_SECONDS ? MAX_EXPIRY_SECONDS : a.validBefore) * 1000);
      const inserted: Array<{ id: string }> = await m.query(
        `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount,
                               valid_after, valid_before, expires_at, nonce, signature, status, payment_identifier, requirements)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'verified', $15, $16::jsonb)
         RETURNING id`,
        [
          reference,
          merchant.id,
          p.x402Version,
          p.scheme,
          network,
          asset,
          payer,
          p.payTo.toLowerCase(),
          a.value.toString(),
          a.validAfter.toString(),
          a.validBefore.toString(),
          expiresAt,
          nonce,
          p.exact.signature.toLowerCase(),
          p.paymentIdentifier ?? null,
          JSON.stringify({ payTo: p.payTo, amount: p.amount.toString(), asset: p.asset, maxTimeoutSeconds: p.maxTimeoutSeconds, extra: p.extra }),
        ],
      );
      await this.ledger.recordCreated(inserted[0].id, 'verified', m);
      return { ok: true as const, paymentId: inserted[0].id, reference, payer: checksummedPayer, validBefore: a.validBefore, created: true };
    });
  }
}
