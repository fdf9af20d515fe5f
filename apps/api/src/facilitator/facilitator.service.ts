import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { PaymentLedger, SettleRequests, SettlementMode } from '@tollgate/persistence';
import {
  NetworkDirectory,
  parseFacilitatorRequest,
  settleFailure,
  settleSuccess,
  verifyInvalid,
  verifyValid,
  type NormalizedPayment,
  type SettleResponse,
  type VerifyResponse,
} from '@tollgate/protocol';
import { AuthenticatedMerchant } from '../merchants/merchants.service';
import { ApiMetrics } from '../metrics/api-metrics';
import { LaneNudger } from './lane-nudger.service';
import { AcceptedPayment, HandedOverPayment, PaymentAcceptanceService, SettleShortcut } from './payment-acceptance.service';
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
    private readonly settleRequests: SettleRequests,
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
      return { status: 400, body: { ...verifyInvalid('invalid_payload', `${parsed.field}: ${parsed.message}`), field: parsed.field } };
    }
    if (parsed.kind === 'unsupported') return ok(verifyInvalid(parsed.reason, parsed.message, parsed.payer));
    try {
      const outcome = await this.acceptance.accept(parsed.payment, merchant);
      if (!outcome.ok) return ok(verifyInvalid(outcome.reason, outcome.message, outcome.payer));
      return ok(verifyValid(outcome.payer, { [TOLLGATE_EXTENSION]: { reference: outcome.reference, status: 'verified' } }));
    } catch (e) {
      this.logger.error(`verify failed: ${logSafeError(e)}`);
      return ok(verifyInvalid('unexpected_verify_error', 'verification could not complete; retry later', parsed.payment.payer));
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
   *
   * Reads top to bottom: parse → idempotency → verify or shortcut → the one transition to `queued` → answer.
   * Every step either hands the next one its input or returns the answer.
   */
  async settle(
    body: unknown,
    merchant: AuthenticatedMerchant,
    modeOverride?: SettlementMode,
    requestId?: string,
  ): Promise<FacilitatorAnswer<SettleResponse & { field?: string }>> {
    const call = this.parseSettle(body, merchant, modeOverride, requestId); // 1. parse
    if (isAnswer(call)) return call;
    try {
      const prior = await this.priorSettle(call); // 2. idempotency
      if (prior) return prior;
      const target = this.verifyOrShortcut(call); // 3. verify or shortcut
      const queued = await this.queue(call, target); // 4. the one transition to `queued`
      if (isAnswer(queued)) return queued;
      return await this.answerQueued(call, queued); // 5. answer
    } catch (e) {
      this.logger.error(`settle failed: ${logSafeError(e)}`);
      return ok(settleFailure({ reason: 'unexpected_settle_error', message: 'settlement could not be recorded; retry later', payer: call.p.payer, network: call.wireNetwork }));
    }
  }

  /** Step 1: the request parsed, with the settlement mode and what the later steps need; or its refusal. */
  private parseSettle(body: unknown, merchant: AuthenticatedMerchant, modeOverride: SettlementMode | undefined, requestId: string | undefined): SettleCall | FacilitatorAnswer<SettleResponse & { field?: string }> {
    const parsed = parseFacilitatorRequest(body, { networks: this.directory.networks });
    if (parsed.kind === 'malformed') {
      return { status: 400, body: { ...settleFailure({ reason: 'invalid_payload', message: `${parsed.field}: ${parsed.message}`, network: requestedNetwork(body) }), field: parsed.field } };
    }
    if (parsed.kind === 'unsupported') return ok(settleFailure({ reason: parsed.reason, message: parsed.message, payer: parsed.payer, network: parsed.network ?? requestedNetwork(body) }));
    const p = parsed.payment;
    return {
      p,
      merchant,
      mode: modeOverride ?? decideMode(merchant, p.amount),
      wireNetwork: wireNetworkOf(body, p),
      // Only idempotency records compare request hashes; canonical JSON + SHA-256 is not free at 1,000 settles/s.
      requestHash: p.paymentIdentifier ? hashRequest(body) : '',
      requestId,
    };
  }

  /**
   * Step 2, idempotency: a payment-identifier this merchant used before answers from the payment it handed
   * over (an identical request) or with 409 (a different one). Without an identifier: nothing to look up here.
   */
  private async priorSettle(call: SettleCall): Promise<FacilitatorAnswer<SettleResponse> | undefined> {
    const { p, merchant } = call;
    if (!p.paymentIdentifier) return undefined;
    const prior = await this.settleRequests.find(merchant.id, p.paymentIdentifier);
    if (!prior) return undefined;
    if (prior.request_hash === call.requestHash) return this.repeatOf(prior.payment_id, call);
    return {
      status: 409,
      body: settleFailure({
        reason: 'tollgate_payment_identifier_conflict',
        message: `payment-identifier ${p.paymentIdentifier} was already used with a different payment`,
        network: call.wireNetwork,
      }),
    };
  }

  /**
   * Step 3: what to queue. The shortcut — this merchant's identical verify moments ago, queued as it stands
   * without chain reads — when allowed (never with a payment-identifier: its record needs the full path's
   * transaction); otherwise a full verify, which answers a repeat of a settle already handed over, or a refusal.
   */
  private verifyOrShortcut(call: SettleCall): QueueTarget {
    const shortcut = call.p.paymentIdentifier ? undefined : this.acceptance.shortcutFor(call.p, call.merchant);
    return shortcut ? { shortcut } : 'verify';
  }

  /** The full path of step 3: a repeat of a settle already handed over answers from its payment; else verify. */
  private async verifyInFull(call: SettleCall): Promise<AcceptedPayment | FacilitatorAnswer<SettleResponse>> {
    const { p, merchant } = call;
    // An identical repeat of a settle already accepted (its answer was lost, or the official resource server
    // retries on settlement_pending) is that payment, in whatever state it reached — never a refusal that would
    // tell the merchant an already charged payer did not pay.
    const handedOver = await this.acceptance.findHandedOver(p, merchant);
    if (handedOver) return this.answerRepeat(handedOver, call);
    const outcome = await this.acceptance.accept(p, merchant);
    if (outcome.ok) return outcome;
    if (outcome.reason === 'tollgate_authorization_already_settled') return this.repeatOrDuplicate(call, outcome.message);
    return ok(settleFailure({ reason: outcome.reason, message: outcome.message, payer: p.payer, network: call.wireNetwork }));
  }

  /**
   * Step 4, the one writer of `verified → queued` for `/settle` (through {@link PaymentLedger}). A shortcut
   * target is one statement (shared by the settles of one event-loop turn); when no recent verify qualifies,
   * the full path verifies and queues that payment. A verified payment moves in one transaction with its
   * payment-identifier record, if any; when a concurrent request moved it first, that request's answer wins.
   * Both run on the default, synchronously committing pool: a `success` answer must survive a crash.
   * @returns the queued payment, or the answer when it could not be queued.
   */
  private async queue(call: SettleCall, target: QueueTarget): Promise<AcceptedPayment | FacilitatorAnswer<SettleResponse>> {
    const { p, merchant, mode } = call;
    if (target !== 'verify') {
      const moved = await this.ledger.queueRecentlyVerified(target.shortcut.authorization, { merchantId: merchant.id, ...target.shortcut.conditions, mode });
      if (moved) {
        this.metrics.settleOnRecentVerify.inc();
        return { ok: true, paymentId: moved.id, reference: moved.reference, payer: target.shortcut.payerDisplay, validBefore: target.shortcut.authorization.validBefore, created: false };
      }
      return this.queue(call, 'verify');
    }
    const verified = await this.verifyInFull(call);
    if (isAnswer(verified)) return verified;
    const moved = await this.dataSource.transaction(async (m) => {
      const ids = await this.ledger.queueVerified([verified.paymentId], mode, m);
      if (ids.length === 0) return false;
      if (p.paymentIdentifier) {
        await this.settleRequests.record(m, {
          merchantId: merchant.id,
          paymentIdentifier: p.paymentIdentifier,
          requestHash: call.requestHash,
          paymentId: verified.paymentId,
          response: queuedResponse(verified, call),
        });
      }
      return true;
    });
    return moved ? verified : this.repeatOrDuplicate(call, 'this authorization was settled by a concurrent request');
  }

  /** Step 5, after the `queued` transition committed: nudge the lane, then answer (confirmed mode waits for inclusion). */
  private async answerQueued(call: SettleCall, payment: AcceptedPayment): Promise<FacilitatorAnswer<SettleResponse>> {
    this.nudger.queued(payment.paymentId, call.p.network, call.p.asset, call.requestId, payment.reference);
    const response = queuedResponse(payment, call);
    if (call.mode === 'confirmed') return ok(await this.waiter.waitForInclusion(payment.paymentId, response));
    return ok(response);
  }

  /** The answer to a repeat of the settle that handed payment `paymentId` over (a payment-identifier's record). */
  private async repeatOf(paymentId: string, call: SettleCall): Promise<FacilitatorAnswer<SettleResponse>> {
    const payment = await this.acceptance.findPayment(paymentId, call.merchant.id);
    if (!payment) throw new Error(`settle request points to missing payment ${paymentId}`);
    return this.answerRepeat(payment, call);
  }

  /**
   * The truth about a payment this merchant already handed over, for an identical repeat of its settle:
   * success with the reference, the current status and the transaction once included; the failure reason if
   * it failed. A confirmed-mode repeat of a payment not yet included resumes the (bounded) wait.
   */
  private async answerRepeat(payment: HandedOverPayment, call: SettleCall): Promise<FacilitatorAnswer<SettleResponse>> {
    const extensions = {
      [TOLLGATE_EXTENSION]: { reference: payment.reference, status: payment.status, settlementMode: payment.settlementMode, settleBy: settleBy(payment.validBefore) },
    };
    if (payment.status === 'failed') {
      return ok(
        settleFailure({
          reason: payment.failureReason ?? 'unexpected_settle_error',
          message: payment.failureMessage ?? 'this payment failed to settle',
          payer: payment.payer,
          transaction: payment.txHash ?? '',
          network: call.wireNetwork,
          extensions,
        }),
      );
    }
    const response = settleSuccess({ payer: payment.payer, transaction: payment.txHash ?? '', network: call.wireNetwork, amount: call.p.amount, extensions });
    if (call.mode === 'confirmed' && !payment.txHash) return ok(await this.waiter.waitForInclusion(payment.paymentId, response));
    return ok(response);
  }

  /**
   * A concurrent request queued the same authorization first: an identical one answers as a repeat, others
   * are refused with `duplicate_settlement` and `message`.
   */
  private async repeatOrDuplicate(call: SettleCall, message: string): Promise<FacilitatorAnswer<SettleResponse>> {
    const { p, merchant } = call;
    if (p.paymentIdentifier) {
      const prior = await this.settleRequests.find(merchant.id, p.paymentIdentifier);
      if (prior && prior.request_hash === call.requestHash) return this.repeatOf(prior.payment_id, call);
    }
    const handedOver = await this.acceptance.findHandedOver(p, merchant);
    if (handedOver) return this.answerRepeat(handedOver, call);
    return ok(settleFailure({ reason: 'duplicate_settlement', message, payer: p.payer, network: call.wireNetwork }));
  }
}

/** A well-formed `/settle` call: the parsed payment and what every later step needs. */
interface SettleCall {
  p: NormalizedPayment;
  merchant: AuthenticatedMerchant;
  mode: SettlementMode;
  /** The network as the request named it (answers echo it). */
  wireNetwork: string;
  /** Hash of payload + requirements; `''` without a payment-identifier (only its record compares it). */
  requestHash: string;
  requestId?: string;
}

/**
 * What step 4 queues: the shortcut (with the full path to fall back on when no recent verify qualifies), or
 * the payment the full path verifies.
 */
type QueueTarget = { shortcut: SettleShortcut } | 'verify';

const ok = <B>(body: B): FacilitatorAnswer<B> => ({ status: 200, body });

function isAnswer<B>(x: object): x is FacilitatorAnswer<B> {
  return 'status' in x && 'body' in x;
}

/** The deferred answer for a payment now `queued`: no transaction yet, Tollgate's reference instead. */
function queuedResponse(payment: AcceptedPayment, call: SettleCall): SettleResponse {
  return settleSuccess({
    payer: payment.payer,
    transaction: '',
    network: call.wireNetwork,
    amount: call.p.amount,
    extensions: {
      [TOLLGATE_EXTENSION]: { reference: payment.reference, status: 'queued', settlementMode: call.mode, settleBy: settleBy(payment.validBefore) },
    },
  });
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
  return requestedNetwork(body) || p.network;
}

/**
 * The network a request names, even when it is malformed, so refusals echo it: x402's SettleResponse requires a
 * non-empty `network`. The requirements' network first, else the payload's (v2 `accepted.network`, v1 `network`);
 * `''` only when the request names none.
 */
export function requestedNetwork(body: unknown): string {
  const b = (body ?? {}) as { paymentRequirements?: { network?: unknown }; paymentPayload?: { network?: unknown; accepted?: { network?: unknown } } };
  for (const n of [b.paymentRequirements?.network, b.paymentPayload?.accepted?.network, b.paymentPayload?.network]) {
    if (typeof n === 'string' && n !== '') return n;
  }
  return '';
}
