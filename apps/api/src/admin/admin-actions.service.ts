import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Address, Hex } from 'viem';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { ChainClients, eip3009Abi } from '@tollgate/evm';
import { FINAL_STATUSES, PaymentLedger, PaymentStatus, queryRows, UNSETTLED_STATUSES, VOIDABLE_STATUSES } from '@tollgate/persistence';
import { ReasonCode } from '@tollgate/protocol';
import { JobName, JobQueues } from '@tollgate/queue';
import { SettlementContext } from '@tollgate/settlement';
import { WebhookDispatcher, WebhookOutbox } from '@tollgate/webhooks';
import { MerchantsService, PayToTakenError } from '../merchants/merchants.service';
import { AdminAuditService } from './admin-audit.service';
import type { AdminIdentity } from './auth/admin-auth.service';

/** Event reason recorded on `failed → queued` when an operator retries. */
export const OPERATOR_RETRY_REASON = 'operator_retry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface PaymentRow {
  id: string;
  reference: string;
  status: PaymentStatus;
  merchant_id: string;
  network: string;
  asset: string;
  payer: string;
  amount: string;
  valid_before: string;
  nonce: string;
  failure_reason: string | null;
  failure_message: string | null;
  batch_id: string | null;
  tx_hash: string | null;
  settlement_mode: 'deferred' | 'confirmed' | null;
  queued_at: Date | null;
}

/** What an action did, for the API answer and the flash message of the console. */
export interface ActionResult {
  ok: true;
  message: string;
  before: unknown;
  after: unknown;
}

/**
 * Operator actions. Each one checks that it still makes sense, applies its effect through the same
 * mechanisms the pipeline uses (payment status only through {@link PaymentLedger}; lane controls in
 * `lanes`; replacement as a request the batch tracker honours), and writes its audit row in the same
 * Postgres transaction. Refusals are 409 with a sentence an operator can act on.
 */
@Injectable()
export class AdminActionsService {
  private readonly logger = new Logger('AdminActions');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly ledger: PaymentLedger,
    private readonly chains: ChainClients,
    private readonly queues: JobQueues,
    private readonly settlement: SettlementContext,
    private readonly audit: AdminAuditService,
    private readonly merchants: MerchantsService,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  /**
   * `failed → queued` for a payment that can still succeed: it was queued once (the merchant asked to
   * settle it), its authorization leaves at least the network's settlement window, its nonce is unused on
   * chain (`authorizationState`), and the payer's balance covers it plus their other unsettled payments.
   */
  async retry(who: AdminIdentity, refOrId: string, requestId?: string): Promise<ActionResult> {
    const p = await this.loadPayment(refOrId);
    if (p.status !== 'failed') throw new ConflictException(`payment ${p.reference} is ${p.status}; only failed payments can be retried`);
    if (!p.queued_at) throw new ConflictException(`payment ${p.reference} was never queued (the merchant never asked to settle it); it cannot be retried`);
    if (!this.chains.has(p.network)) throw new ConflictException(`network ${p.network} is not served by this deployment`);
    const net = this.settlement.network(p.network);
    const client = this.chains.get(p.network);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const left = Number(BigInt(p.valid_before) - BigInt(nowSeconds));
    if (left < net.settlementWindowSeconds) {
      throw new ConflictException(
        left <= 0
          ? `the authorization expired at ${new Date(Number(p.valid_before) * 1000).toISOString()}; it can never settle`
          : `the authorization expires in ${left} s, less than the ${net.settlementWindowSeconds} s the queue needs to settle it`,
      );
    }
    const token = p.asset as Address;
    const payer = p.payer as Address;
    let used: boolean;
    let balance: bigint;
    try {
      [used, balance] = await Promise.all([
        client.readContract({ address: token, abi: eip3009Abi, functionName: 'authorizationState', args: [payer, p.nonce as Hex] }),
        client.readContract({ address: token, abi: eip3009Abi, functionName: 'balanceOf', args: [payer] }),
      ]);
    } catch (e) {
      throw new ConflictException(`could not read the authorization state on ${p.network}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (used) throw new ConflictException(`the authorization nonce is already used or cancelled on chain; it can never settle`);
    const [{ unsettled }] = await this.dataSource.query(
      `SELECT coalesce(sum(amount), 0)::text AS unsettled FROM payments
        WHERE network = $1 AND asset = $2 AND payer = $3 AND status = ANY($5::text[]) AND id <> $4`,
      [p.network, p.asset, p.payer, p.id, UNSETTLED_STATUSES],
    );
    const needed = BigInt(p.amount) + (this.config.exposureGuard ? BigInt(unsettled) : 0n);
    if (balance < needed) {
      throw new ConflictException(
        `the payer holds ${balance} atomic units but needs ${needed} (this payment ${p.amount} + other unsettled ${unsettled}); top up first`,
      );
    }
    const before = { status: p.status, failure_reason: p.failure_reason, failure_message: p.failure_message };
    const after = { status: 'queued' as const };
    await this.dataSource.transaction(async (m) => {
      const moved = await this.ledger.transition([p.id], 'failed', 'queued', {
        reason: OPERATOR_RETRY_REASON,
        detail: { actor: who.actor, ...(requestId ? { requestId } : {}) },
        patch: {
          failure_reason: null,
          failure_message: null,
          batch_id: null,
          tx_hash: null,
          log_index: null,
          block_number: null,
          block_hash: null,
          included_at: null,
          queued_at: new Date(),
          settlement_mode: p.settlement_mode ?? 'deferred',
        },
      }, m);
      if (moved.length === 0) throw new ConflictException(`payment ${p.reference} changed meanwhile; reload and try again`);
      await this.audit.record(who, { action: 'payment.retry', targetType: 'payment', targetId: p.reference, before, after, requestId }, m);
    });
    // After commit, like /settle: the job is a nudge; the lane scheduler reads Postgres anyway.
    await this.queues
      .add(JobName.PaymentQueued, { paymentIds: [p.id], network: p.network, asset: p.asset, requestId })
      .catch((e: Error) => this.logger.warn(`enqueue after retry of ${p.reference} failed, the scheduler will find it: ${e.message}`));
    return { ok: true, message: `Payment ${p.reference} is queued again.`, before, after };
  }

  /**
   * Voids a payment that has not been broadcast (`verified`, `queued`, `batched`) → `failed` with
   * `tollgate_voided`. A `batched` row is voided only while holding its batch's lock, so the submitter
   * cannot sign a transaction that still carries it. `submitted`/`included` are refused: the chain
   * cannot be stopped.
   */
  async void(who: AdminIdentity, refOrId: string, note: string, requestId?: string): Promise<ActionResult> {
    const reasonText = (note ?? '').trim();
    if (reasonText.length < 3 || reasonText.length > 500) throw new BadRequestException('a reason of 3-500 characters is required to void a payment');
    const p = await this.loadPayment(refOrId);
    if (FINAL_STATUSES.includes(p.status)) throw new ConflictException(`payment ${p.reference} is already ${p.status}; nothing to void`);
    if (p.status === 'submitted' || p.status === 'included') {
      throw new ConflictException(
        `payment ${p.reference} is ${p.status}: its transaction${p.tx_hash ? ` ${p.tx_hash}` : ''} is already broadcast and the chain cannot be stopped; wait for the outcome (or replace the batch transaction)`,
      );
    }
    if (!VOIDABLE_STATUSES.includes(p.status)) throw new ConflictException(`payment ${p.reference} is ${p.status} and cannot be voided`);
    const before = { status: p.status, batch_id: p.batch_id };
    const after = { status: 'failed' as const, failure_reason: ReasonCode.TollgateVoided, failure_message: `voided by ${who.actor}: ${reasonText}` };
    const apply = async (m: EntityManager, from: PaymentStatus[]) => {
      const moved = await this.ledger.transition([p.id], from, 'failed', {
        reason: ReasonCode.TollgateVoided,
        detail: { actor: who.actor, note: reasonText, ...(requestId ? { requestId } : {}) },
        patch: { failure_reason: after.failure_reason, failure_message: after.failure_message, batch_id: null },
      }, m);
      if (moved.length === 0) throw new ConflictException(`payment ${p.reference} moved on meanwhile (it may have been batched or broadcast); reload and decide again`);
      await this.audit.record(who, { action: 'payment.void', targetType: 'payment', targetId: p.reference, before, after, detail: { note: reasonText }, requestId }, m);
    };
    if (p.status === 'batched' && p.batch_id) {
      // Same advisory lock the submitter holds while it builds and signs this batch.
      const done = await this.settlement.exclusively(`batch:${p.batch_id}`, () => this.dataSource.transaction((m) => apply(m, ['batched'])));
      if (done === undefined) throw new ConflictException(`the batch of ${p.reference} is being submitted right now; reload in a moment and decide again`);
    } else {
      await this.dataSource.transaction((m) => apply(m, [p.status]));
    }
    return { ok: true, message: `Payment ${p.reference} is voided.`, before, after };
  }

  /** Pauses a lane: the scheduler claims nothing from it until resumed (batches already built go on). */
  async pauseLane(who: AdminIdentity, network: string, asset: string, note: string | undefined, requestId?: string): Promise<ActionResult> {
    const lane = this.lane(network, asset);
    return this.setLane(who, lane, 'lane.pause', { paused: true, paused_reason: (note ?? '').trim().slice(0, 500) || null }, requestId, `Lane ${lane.label} is paused.`);
  }

  /** Resumes a paused lane. */
  async resumeLane(who: AdminIdentity, network: string, asset: string, requestId?: string): Promise<ActionResult> {
    const lane = this.lane(network, asset);
    return this.setLane(who, lane, 'lane.resume', { paused: false, paused_reason: null }, requestId, `Lane ${lane.label} is running.`);
  }

  /** Asks the lane scheduler to flush a lane on its next tick, whatever its size, age or deadlines. */
  async flushLane(who: AdminIdentity, network: string, asset: string, requestId?: string): Promise<ActionResult> {
    const lane = this.lane(network, asset);
    const [state] = await this.dataSource.query(`SELECT paused FROM lanes WHERE network = $1 AND asset = $2`, [lane.network, lane.asset]);
    if (state?.paused) throw new ConflictException(`lane ${lane.label} is paused; resume it first`);
    return this.setLane(who, lane, 'lane.flush', { flush_requested_at: 'now' }, requestId, `Lane ${lane.label} will flush on the next scheduler tick.`);
  }

  /**
   * Marks a submitted batch for immediate replacement: the batch tracker re-sends its transaction with the
   * same nonce and fees +20 % on its next pass (as after TX_REPLACE_AFTER_MS), then clears the mark.
   */
  async replaceBatch(who: AdminIdentity, batchId: string, requestId?: string): Promise<ActionResult> {
    if (!UUID.test(batchId)) throw new NotFoundException('no such batch');
    const result = await this.dataSource.transaction(async (m) => {
      const [b] = await m.query(
        `SELECT id, status, replacements, tx_hash, replace_requested_at FROM settlement_batches WHERE id = $1 FOR UPDATE`,
        [batchId],
      );
      if (!b) throw new NotFoundException('no such batch');
      if (b.status !== 'submitted') {
        throw new ConflictException(`batch is ${b.status}; only a submitted transaction that is not yet included can be replaced`);
      }
      await m.query(`UPDATE settlement_batches SET replace_requested_at = now() WHERE id = $1`, [batchId]);
      const before = { status: b.status, replacements: b.replacements, tx_hash: b.tx_hash, replace_requested_at: b.replace_requested_at };
      const after = { ...before, replace_requested_at: new Date().toISOString() };
      await this.audit.record(who, { action: 'batch.replace', targetType: 'batch', targetId: batchId, before, after, requestId }, m);
      return { before, after };
    });
    await this.queues
      .add(JobName.BatchTrack, { batchId, requestId })
      .catch((e: Error) => this.logger.warn(`enqueue track after replace request of ${batchId} failed, the sweeper will: ${e.message}`));
    return { ok: true, message: `Batch ${batchId} will be replaced on the tracker's next pass.`, ...result };
  }

  /**
   * Sends a webhook delivery again: a new delivery row with the same message id, snapshot and event time
   * (receivers deduplicate on `webhook-id`), dispatched after commit. Refused for a deleted or disabled
   * endpoint — the merchant re-enables it first.
   */
  async replayDelivery(who: AdminIdentity, deliveryId: string, requestId?: string): Promise<ActionResult & { deliveryId: string }> {
    if (!UUID.test(deliveryId)) throw new NotFoundException('no such webhook delivery');
    const result = await this.dataSource.transaction(async (m) => {
      const [d] = await m.query(
        `SELECT d.id, d.endpoint_id, d.merchant_id, d.status, d.event_type, d.attempt_count, e.status AS endpoint_status, e.deleted_at
           FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
        [deliveryId],
      );
      if (!d) throw new NotFoundException('no such webhook delivery');
      if (d.deleted_at) throw new ConflictException('the endpoint was deleted; nothing to replay to');
      if (d.endpoint_status !== 'active') throw new ConflictException('the endpoint is disabled; the merchant must re-enable it before a replay');
      const newId = await WebhookOutbox.replayOne(m, d.merchant_id, d.endpoint_id, d.id);
      if (!newId) throw new NotFoundException('no such webhook delivery');
      const before = { status: d.status, attempt_count: d.attempt_count };
      const after = { replayDeliveryId: newId, status: 'pending' };
      await this.audit.record(who, { action: 'webhook.replay', targetType: 'webhook_delivery', targetId: d.id, before, after, detail: { eventType: d.event_type, endpointId: d.endpoint_id }, requestId }, m);
      return { newId, before, after };
    });
    await this.webhooks.dispatchNew([result.newId]).catch((e: Error) => this.logger.warn(`dispatch of replay ${result.newId} failed, the relay will: ${e.message}`));
    return { ok: true, message: 'Webhook delivery queued again.', before: result.before, after: result.after, deliveryId: result.newId };
  }

  /** Creates a merchant; the API key is returned once and never stored or audited in clear. */
  async createMerchant(
    who: AdminIdentity,
    input: { name?: string; payTo?: string[]; settlementMode?: string; confirmedThreshold?: string | null },
    requestId?: string,
  ): Promise<ActionResult & { merchantId: string; apiKey: string; apiKeyPrefix: string }> {
    const name = (input.name ?? '').trim();
    const payTo = (input.payTo ?? []).map((s) => s.trim()).filter(Boolean);
    if (!name || name.length > 200) throw new BadRequestException('name is required (at most 200 characters)');
    if (payTo.length === 0) throw new BadRequestException('at least one payTo address is required');
    const bad = payTo.find((a) => !/^0x[0-9a-fA-F]{40}$/.test(a));
    if (bad) throw new BadRequestException(`"${bad}" is not a 0x-prefixed 20-byte address`);
    const mode = input.settlementMode || 'deferred';
    if (mode !== 'deferred' && mode !== 'confirmed') throw new BadRequestException('settlementMode must be deferred or confirmed');
    const threshold = input.confirmedThreshold?.toString().trim() || null;
    if (threshold !== null && !/^\d{1,78}$/.test(threshold)) throw new BadRequestException('confirmedThreshold must be a whole number of atomic units');
    try {
      const created = await this.merchants.create({ name, payTo, settlementMode: mode, confirmedThreshold: threshold === null ? null : BigInt(threshold) });
      const after = { name, status: 'active', payTo: payTo.map((a) => a.toLowerCase()), settlementMode: mode, confirmedThreshold: threshold, apiKeyPrefix: created.apiKeyPrefix };
      await this.audit.record(who, { action: 'merchant.create', targetType: 'merchant', targetId: created.merchant.id, before: null, after, requestId });
      return { ok: true, message: `Merchant ${name} created.`, before: null, after, merchantId: created.merchant.id, apiKey: created.apiKey, apiKeyPrefix: created.apiKeyPrefix };
    } catch (e) {
      if (e instanceof PayToTakenError) throw new ConflictException(e.message);
      throw e;
    }
  }

  /** Suspends (or re-activates) a merchant: its keys stop (or start) authenticating on the next request to any API process. */
  async setMerchantStatus(who: AdminIdentity, id: string, status: 'active' | 'suspended', requestId?: string): Promise<ActionResult> {
    if (!UUID.test(id)) throw new NotFoundException('no such merchant');
    const result = await this.dataSource.transaction(async (m) => {
      const [row] = await m.query(`SELECT id, name, status FROM merchants WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new NotFoundException('no such merchant');
      if (row.status === status) throw new ConflictException(`merchant ${row.name} is already ${status}`);
      await m.query(`UPDATE merchants SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
      const before = { status: row.status };
      const after = { status };
      await this.audit.record(who, { action: status === 'suspended' ? 'merchant.suspend' : 'merchant.activate', targetType: 'merchant', targetId: id, before, after, requestId }, m);
      return { ok: true as const, message: `Merchant ${row.name} is ${status}.`, before, after };
    });
    // After the commit, before answering: the next request on any API process reads the new status.
    await this.merchants.invalidateMerchant(id);
    return result;
  }

  private async loadPayment(refOrId: string): Promise<PaymentRow> {
    const [p]: PaymentRow[] = await this.dataSource.query(
      `SELECT id, reference, status, merchant_id, network, asset, payer, amount::text, valid_before::text, nonce, failure_reason,
              failure_message, batch_id, tx_hash, settlement_mode, queued_at
         FROM payments WHERE ${UUID.test(refOrId) ? 'id = $1' : 'reference = $1'}`,
      [refOrId],
    );
    if (!p) throw new NotFoundException(`no payment ${refOrId}`);
    return p;
  }

  /** A lane the deployment serves (network configured, asset configured on it). */
  private lane(network: string, asset: string): { network: string; asset: string; label: string } {
    const net = this.config.networks.find((n) => n.network === network);
    const a = net?.assets.find((x) => x.address.toLowerCase() === (asset ?? '').toLowerCase());
    if (!net || !a) throw new NotFoundException(`no lane ${network} / ${asset} is served by this deployment`);
    return { network, asset: a.address.toLowerCase(), label: `${network} ${a.symbol}` };
  }

  private async setLane(
    who: AdminIdentity,
    lane: { network: string; asset: string; label: string },
    action: string,
    set: { paused?: boolean; paused_reason?: string | null; flush_requested_at?: 'now' },
    requestId: string | undefined,
    message: string,
  ): Promise<ActionResult> {
    return this.dataSource.transaction(async (m) => {
      // Upsert, then lock: the row may not exist until the first operator action on the lane.
      await m.query(`INSERT INTO lanes (network, asset) VALUES ($1, $2) ON CONFLICT (network, asset) DO NOTHING`, [lane.network, lane.asset]);
      const [b] = await m.query(`SELECT paused, paused_reason, flush_requested_at FROM lanes WHERE network = $1 AND asset = $2 FOR UPDATE`, [lane.network, lane.asset]);
      const [a] = await queryRows<Record<string, unknown>>(
        m,
        `UPDATE lanes SET paused = coalesce($3, paused), paused_reason = CASE WHEN $4::boolean THEN $5 ELSE paused_reason END,
                flush_requested_at = CASE WHEN $6::boolean THEN now() ELSE flush_requested_at END, updated_at = now()
          WHERE network = $1 AND asset = $2 RETURNING paused, paused_reason, flush_requested_at`,
        [lane.network, lane.asset, set.paused ?? null, 'paused_reason' in set, set.paused_reason ?? null, set.flush_requested_at === 'now'],
      );
      await this.audit.record(who, { action, targetType: 'lane', targetId: `${lane.network}/${lane.asset}`, before: b, after: a, requestId }, m);
      return { ok: true as const, message, before: b, after: a };
    });
  }
}
