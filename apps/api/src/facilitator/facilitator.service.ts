import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { PaymentLedger, SettlementMode } from '@tollgate/persistence';
import { NetworkDirectory, parseFacilitatorRequest, type NormalizedPayment, type SettleResponse, type VerifyResponse } from '@tollgate/protocol';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiMetrics } from '../metrics/api-metrics';
import { LaneNudger } from './lane-nudger.service';
import { AcceptedPayment, HandedOverPayment, PaymentAcceptanceService } from './payment-acceptance.service';
import { SettlementWaiter } from './settlement-waiter.service';
import { logSafeError } from '@tollgate/evm';

/** An HTTP answer of the facilitator endpoints: status code and spec-shaped body. */
export interface FacilitatorAnswer<B> {
  status: number;
  body: B;
}

/** Key under which Tollgate's per-payment data travels in `extensions` of verify/settle answers. */
export const TOLLGATE_EXTENSION = 'tollgate';

/**
 * `POST /verify` and `POST /settle` (x402 facilitator API, specs/x402-specification-v2.md §7).
 * Well-formed requests always get HTTP 200 with `isValid`/`success`; malformed ones 400 naming the field,
 * with a body the official HTTPFacilitatorClient still parses.
 */
@Injectable()
export class FacilitatorService {
  private readonly logger = new Logger(FacilitatorService.name);

  constructor(
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly acceptance: PaymentAcceptanceService,
    private readonly ledger: PaymentLedger,
    private readonly nudger: LaneNudger,
    private readonly metrics: ApiMetrics,
    private readonly waiter: SettlementWaiter,
    private readonly directory: NetworkDirectory,
  ) {}

  async verify(body: unknown, merchant: AuthenticatedMerchant): Promise<FacilitatorAnswer<VerifyResponse & { field?: string }>> {
    const parsed = parseFacilitatorRequest(body, { networks: this.directory.networks });
    if (parsed.kind === 'malformed') {
      return { status: 400, body: { isValid: false, invalidReason: 'invalid_payload', invalidMessage: `${parsed.field}: ${parsed.message}`, field: parsed.field } };
    }
    if (parsed.kind === 'unsupported') {
      return { status: 200, body: omitUndefined({ isValid: false, invalidReason: parsed.reason, invalidMessage: parsed.message, payer: parsed.payer }) };
    }
    try {
      const outcome = await this.acceptance.accept(parsed.payment, merchant);
      if (!outcome.ok) {
        return { status: 200, body: omitUndefined({ isValid: false, invalidReason: outcome.reason, invalidMessage: outcome.message, payer: outcome.payer }) };
      }
      return {
        status: 200,
        body: { isValid: true, payer: outcome.payer, extensions: { [TOLLGATE_EXTENSION]: { reference: outcome.reference, status: 'verified' } } },
      };
    } catch (e) {
      this.logger.error(`verify failed: ${logSafeError(e)}`);
      return {
        status: 200,
        body: { isValid: false, invalidReason: 'unexpected_verify_error', invalidMessage: 'verification could not complete; retry later', payer: parsed.payment.exact.authorization.from },
      };
    }
  }

  /**
   * Deferred mode (default): moves the payment to `queued` — in one statement when this merchant verified the
   * identical authorization less than SETTLE_REVERIFY_AFTER_SECONDS ago, else after a full re-verify (always
   * with a payment-identifier) — nudges its lane and answers `success: true` with `transaction: ""` and
   * Tollgate's reference.
   * Confirmed mode waits (bounded) for the batch holding the payment to be included.
   * An identical repeat of a settle this merchant already made (same payload and requirements; by
   * payment-identifier, or by the signed fields without one) answers from that payment's current state —
   * success, reference, status, transaction once included — and a confirmed-mode repeat resumes the wait
   * (the official resource server retries once on `settlement_pending`).
   */
  async settle(
    body: unknown,
    merchant: AuthenticatedMerchant,
    modeOverride?: SettlementMode,
    requestId?: string,
  ): Promise<FacilitatorAnswer<SettleResponse & { field?: string }>> {
    const parsed = parseFacilitatorRequest(body, { networks: this.directory.networks });
    if (parsed.kind === 'malformed') {
      return {
        status: 400,
        body: { success: false, errorReason: 'invalid_payload', errorMessage: `${parsed.field}: ${parsed.message}`, transaction: '', network: '', field: parsed.field },
      };
    }
    if (parsed.kind === 'unsupported') {
      return {
        status: 200,
        body: omitUndefined({ success: false, errorReason: parsed.reason, errorMessage: parsed.message, payer: parsed.payer, transaction: '', network: parsed.network ?? '' }),
      };
    }
    const p = parsed.payment;
    const wireNetwork = wireNetworkOf(body, p);
    // Only idempotency records compare request hashes; canonical JSON + SHA-256 is not free at 1,000 settles/s.
    const requestHash = p.paymentIdentifier ? hashRequest(body) : '';
    const mode = modeOverride ?? decideMode(merchant, p.amount);
    const failure = (reason: string, message: string): FacilitatorAnswer<SettleResponse> => ({
      status: 200,
      body: { success: false, errorReason: reason, errorMessage: message, payer: p.exact.authorization.from, transaction: '', network: wireNetwork },
    });

    try {
      if (p.paymentIdentifier) {
        const prior = await this.findSettleRequest(merchant.id, p.paymentIdentifier);
        if (prior) {
          if (prior.request_hash === requestHash) return this.repeatOf(prior.payment_id, merchant, p, mode, wireNetwork);
          return {
            status: 409,
            body: {
              success: false,
              errorReason: 'tollgate_payment_identifier_conflict',
              errorMessage: `payment-identifier ${p.paymentIdentifier} was already used with a different payment`,
              transaction: '',
              network: wireNetwork,
            },
          };
        }
      }
      // Idempotency records need the full path's transaction; everything else may take the shortcut.
      const recent = p.paymentIdentifier ? undefined : await this.acceptance.queueIfRecentlyVerified(p, merchant, mode);
      if (recent) {
        this.metrics.settleOnRecentVerify.inc();
        return this.queued(recent, p, mode, wireNetwork, requestId);
      }
      // An identical repeat of a settle already accepted (its answer was lost, or the official resource server
      // retries on settlement_pending) is that payment, in whatever state it reached — never a refusal that would
      // tell the merchant an already charged payer did not pay.
      const handedOver = await this.acceptance.findHandedOver(p, merchant);
      if (handedOver) return this.answerRepeat(handedOver, p, mode, wireNetwork);

      const outcome = await this.acceptance.accept(p, merchant);
      if (!outcome.ok) {
        if (outcome.reason === 'tollgate_authorization_already_settled') {
          return this.repeatOrDuplicate(merchant, p, requestHash, mode, wireNetwork, failure('duplicate_settlement', outcome.message));
        }
        return failure(outcome.reason, outcome.message);
      }
      const response = queuedResponse(outcome, p, mode, wireNetwork);
      const moved = await this.dataSource.transaction(async (m) => {
        const ids = await this.ledger.transition([outcome.paymentId], 'verified', 'queued', { patch: { settlement_mode: mode, queued_at: new Date() } }, m);
        if (ids.length === 0) return false;
        if (p.paymentIdentifier) {
          await m.query(
            `INSERT INTO settle_requests (merchant_id, payment_identifier, request_hash, payment_id, response)
             VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING`,
            [merchant.id, p.paymentIdentifier, requestHash, outcome.paymentId, JSON.stringify(response)],
          );
        }
        return true;
      });
      if (!moved) {
        return this.repeatOrDuplicate(merchant, p, requestHash, mode, wireNetwork, failure('duplicate_settlement', 'this authorization was settled by a concurrent request'));
      }
      return this.queued(outcome, p, mode, wireNetwork, requestId, response);
    } catch (e) {
      this.logger.error(`settle failed: ${logSafeError(e)}`);
      return failure('unexpected_settle_error', 'settlement could not be recorded; retry later');
    }
  }

  /** After the `queued` transition committed: nudge the lane, then answer (confirmed mode waits for inclusion). */
  private async queued(
    payment: AcceptedPayment,
    p: NormalizedPayment,
    mode: SettlementMode,
    wireNetwork: string,
    requestId: string | undefined,
    response: SettleResponse = queuedResponse(payment, p, mode, wireNetwork),
  ): Promise<FacilitatorAnswer<SettleResponse>> {
    this.nudger.queued(payment.paymentId, p.network, p.asset, requestId);
    if (mode === 'confirmed') return { status: 200, body: await this.waiter.waitForInclusion(payment.paymentId, response) };
    return { status: 200, body: response };
  }

  private async findSettleRequest(merchantId: string, id: string): Promise<{ request_hash: string; payment_id: string } | undefined> {
    const rows = await this.dataSource.query(
      `SELECT request_hash, payment_id FROM settle_requests WHERE merchant_id = $1 AND payment_identifier = $2`,
      [merchantId, id],
    );
    return rows[0];
  }

  /** The answer to a repeat of the settle that handed payment `paymentId` over (a payment-identifier's record). */
  private async repeatOf(
    paymentId: string,
    merchant: AuthenticatedMerchant,
    p: NormalizedPayment,
    mode: SettlementMode,
    wireNetwork: string,
  ): Promise<FacilitatorAnswer<SettleResponse>> {
    const payment = await this.acceptance.findPayment(paymentId, merchant.id);
    if (!payment) throw new Error(`settle request points to missing payment ${paymentId}`);
    return this.answerRepeat(payment, p, mode, wireNetwork);
  }

  /**
   * The truth about a payment this merchant already handed over, for an identical repeat of its settle:
   * success with the reference, the current status and the transaction once included; the failure reason if
   * it failed. A confirmed-mode repeat of a payment not yet included resumes the (bounded) wait.
   */
  private async answerRepeat(payment: HandedOverPayment, p: NormalizedPayment, mode: SettlementMode, wireNetwork: string): Promise<FacilitatorAnswer<SettleResponse>> {
    const tollgate = { reference: payment.reference, status: payment.status, settlementMode: payment.settlementMode, settleBy: settleBy(payment.validBefore) };
    if (payment.status === 'failed') {
      return {
        status: 200,
        body: {
          success: false,
          errorReason: payment.failureReason ?? 'unexpected_settle_error',
          errorMessage: payment.failureMessage ?? 'this payment failed to settle',
          payer: payment.payer,
          transaction: payment.txHash ?? '',
          network: wireNetwork,
          extensions: { [TOLLGATE_EXTENSION]: tollgate },
        },
      };
    }
    const response: SettleResponse = {
      success: true,
      payer: payment.payer,
      transaction: payment.txHash ?? '',
      network: wireNetwork,
      amount: p.amount.toString(),
      extensions: { [TOLLGATE_EXTENSION]: tollgate },
    };
    if (mode === 'confirmed' && !payment.txHash) return { status: 200, body: await this.waiter.waitForInclusion(payment.paymentId, response) };
    return { status: 200, body: response };
  }

  /** A concurrent request queued the same authorization first: an identical one answers as a repeat, others are refused. */
  private async repeatOrDuplicate(
    merchant: AuthenticatedMerchant,
    p: NormalizedPayment,
    requestHash: string,
    mode: SettlementMode,
    wireNetwork: string,
    duplicate: FacilitatorAnswer<SettleResponse>,
  ): Promise<FacilitatorAnswer<SettleResponse>> {
    if (p.paymentIdentifier) {
      const prior = await this.findSettleRequest(merchant.id, p.paymentIdentifier);
      if (prior && prior.request_hash === requestHash) return this.repeatOf(prior.payment_id, merchant, p, mode, wireNetwork);
    }
    const handedOver = await this.acceptance.findHandedOver(p, merchant);
    if (handedOver) return this.answerRepeat(handedOver, p, mode, wireNetwork);
    return duplicate;
  }
}

/** The deferred answer for a payment now `queued`: no transaction yet, Tollgate's reference instead. */
function queuedResponse(payment: AcceptedPayment, p: NormalizedPayment, mode: SettlementMode, wireNetwork: string): SettleResponse {
  return {
    success: true,
    payer: payment.payer,
    transaction: '',
    network: wireNetwork,
    amount: p.amount.toString(),
    extensions: {
      [TOLLGATE_EXTENSION]: { reference: payment.reference, status: 'queued', settlementMode: mode, settleBy: settleBy(payment.validBefore) },
    },
  };
}

/** ISO time by which the payment must settle (its `validBefore`, unix seconds). */
function settleBy(validBefore: bigint): string {
  return new Date(Number(validBefore) * 1000).toISOString();
}

/** Merchant policy: confirmed at or above the amount threshold, else the merchant's default mode. */
export function decideMode(merchant: AuthenticatedMerchant, amount: bigint): SettlementMode {
  if (merchant.confirmedThreshold !== null && amount >= merchant.confirmedThreshold) return 'confirmed';
  return merchant.settlementMode;
}

/** SHA-256 of the canonical JSON of payload + requirements: "same payload" for payment-identifier. */
function hashRequest(body: unknown): string {
  const b = body as { paymentPayload?: unknown; paymentRequirements?: unknown };
  return createHash('sha256').update(stableStringify({ p: b.paymentPayload, r: b.paymentRequirements })).digest('hex');
}

/** Answers name the network as the request did (v1 names stay v1 names). */
function wireNetworkOf(body: unknown, p: NormalizedPayment): string {
  const n = (body as { paymentRequirements?: { network?: unknown } }).paymentRequirements?.network;
  return typeof n === 'string' ? n : p.network;
}

function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
