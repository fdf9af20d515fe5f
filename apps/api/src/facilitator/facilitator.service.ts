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
import { AcceptedPayment, PaymentAcceptanceService } from './payment-acceptance.service';
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
   * Confirmed mode waits (bounded) for the batch holding the payment to be included; a repeated confirmed
   * settle of an authorization this merchant already handed over resumes that wait (the official resource
   * server retries once on `settlement_pending`).
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
    if (p.paymentIdentifier) {
      const prior = await this.findSettleRequest(merchant.id, p.paymentIdentifier);
      if (prior) {
        if (prior.request_hash === requestHash) return { status: 200, body: prior.response };
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

    const failure = (reason: string, message: string): FacilitatorAnswer<SettleResponse> => ({
      status: 200,
      body: { success: false, errorReason: reason, errorMessage: message, payer: p.exact.authorization.from, transaction: '', network: wireNetwork },
    });

    try {
      const mode = modeOverride ?? decideMode(merchant, p.amount);
      if (mode === 'confirmed' && !p.paymentIdentifier) {
        const inProgress = await this.acceptance.findInProgress(p, merchant);
        if (inProgress) return { status: 200, body: await this.waiter.waitForInclusion(inProgress.paymentId, queuedResponse(inProgress, p, mode, wireNetwork)) };
      }
      // Idempotency records need the full path's transaction; everything else may take the shortcut.
      const recent = p.paymentIdentifier ? undefined : await this.acceptance.queueIfRecentlyVerified(p, merchant, mode);
      if (recent) {
        this.metrics.settleOnRecentVerify.inc();
        return this.queued(recent, p, mode, wireNetwork, requestId);
      }

      const outcome = await this.acceptance.accept(p, merchant);
      if (!outcome.ok) {
        if (outcome.reason === 'tollgate_authorization_already_settled') {
          return this.replayOrDuplicate(merchant.id, p, requestHash, failure('duplicate_settlement', outcome.message));
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
        return this.replayOrDuplicate(merchant.id, p, requestHash, failure('duplicate_settlement', 'this authorization was settled by a concurrent request'));
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

  private async findSettleRequest(merchantId: string, id: string): Promise<{ request_hash: string; response: SettleResponse } | undefined> {
    const rows = await this.dataSource.query(
      `SELECT request_hash, response FROM settle_requests WHERE merchant_id = $1 AND payment_identifier = $2`,
      [merchantId, id],
    );
    return rows[0];
  }

  /** A concurrent duplicate carrying the same payment-identifier and payload gets the first answer. */
  private async replayOrDuplicate(
    merchantId: string,
    p: NormalizedPayment,
    requestHash: string,
    duplicate: FacilitatorAnswer<SettleResponse>,
  ): Promise<FacilitatorAnswer<SettleResponse>> {
    if (!p.paymentIdentifier) return duplicate;
    const prior = await this.findSettleRequest(merchantId, p.paymentIdentifier);
    if (prior && prior.request_hash === requestHash) return { status: 200, body: prior.response };
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
      [TOLLGATE_EXTENSION]: { reference: payment.reference, status: 'queued', settlementMode: mode, settleBy: new Date(Number(payment.validBefore) * 1000).toISOString() },
    },
  };
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
