import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { AdminActionsRepository, LaneControlChange, OperatorActionRow } from '@tollgate/persistence';
import { JobQueues, OPERATOR_ACTION_JOBS, OperatorAction } from '@tollgate/queue';
import { WebhookDispatcher, WebhookOutbox } from '@tollgate/webhooks';
import { PayToTakenError } from '@tollgate/persistence';
import { MerchantsService } from '../merchants/merchants.service';
import { AdminAuditService } from './admin-audit.service';
import type { AdminIdentity } from './auth/admin-auth.service';
import { IssuedMerchantKey, IssueMerchantKeyInput, MerchantKeyIssuer } from './merchant-key-issuer';

/** How often a request waiting for the worker's outcome looks at its row. */
const ACTION_POLL_MS = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an action did, for the API answer and the flash message of the console. */
export interface ActionResult {
  ok: true;
  message: string;
  before: unknown;
  after: unknown;
}

/**
 * An action the worker carries out: `succeeded` with what it did, or still `requested` when the worker did
 * not answer within ADMIN_ACTION_WAIT_MS — then `actionId` is the reference to follow
 * (`GET /admin/api/actions/:id`). Refusals are thrown as 409/404 as before.
 */
export interface RequestedActionResult extends ActionResult {
  actionId: string;
  status: 'succeeded' | 'requested';
}

/**
 * Operator actions. Those that touch the settlement pipeline — retry, void, replace — are carried out by
 * the worker, the only process holding relayer keys: the API records the request (`admin_actions` and a
 * `<action>.requested` audit row: who, when, what), enqueues a job naming it, and waits up to
 * ADMIN_ACTION_WAIT_MS for the worker's outcome. The others (lanes, merchants, webhook replays) apply their
 * effect here and write their audit row in the same Postgres transaction. Refusals are 409 with a sentence
 * an operator can act on.
 */
@Injectable()
export class AdminActionsService {
  private readonly logger = new Logger('AdminActions');

  constructor(
    // Transactions only: the statements are the repository's.
    private readonly dataSource: DataSource,
    private readonly repository: AdminActionsRepository,
    @Inject(TOLLGATE_CONFIG) private readonly config: TollgateConfig,
    private readonly queues: JobQueues,
    private readonly audit: AdminAuditService,
    private readonly merchants: MerchantsService,
    private readonly webhooks: WebhookDispatcher,
    private readonly keyIssuer: MerchantKeyIssuer,
  ) {}

  /**
   * Asks the worker to move a failed payment back to `queued` — if it can still succeed: it was queued once,
   * its authorization leaves the network's settlement window, its nonce is unused on chain and the payer's
   * balance covers it plus their other unsettled payments (409 naming what does not hold).
   */
  async retry(who: AdminIdentity, refOrId: string, requestId?: string): Promise<RequestedActionResult> {
    const p = await this.loadPayment(refOrId);
    return this.request(who, 'payment.retry', 'payment', p.reference, {}, requestId);
  }

  /**
   * Asks the worker to void a payment not yet broadcast (`verified`, `queued`, `batched` → `failed` with
   * `tollgate_voided` and the operator's note); `submitted`/`included` are refused: the chain cannot be stopped.
   * @throws BadRequestException without a reason of 3-500 characters.
   */
  async void(who: AdminIdentity, refOrId: string, note: string, requestId?: string): Promise<RequestedActionResult> {
    const reasonText = (note ?? '').trim();
    if (reasonText.length < 3 || reasonText.length > 500) throw new BadRequestException('a reason of 3-500 characters is required to void a payment');
    const p = await this.loadPayment(refOrId);
    return this.request(who, 'payment.void', 'payment', p.reference, { note: reasonText }, requestId);
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
    if (await this.repository.lanePaused(lane.network, lane.asset)) throw new ConflictException(`lane ${lane.label} is paused; resume it first`);
    return this.setLane(who, lane, 'lane.flush', { flush: true }, requestId, `Lane ${lane.label} will flush on the next scheduler tick.`);
  }

  /**
   * Asks the worker to mark a submitted batch for immediate replacement: the batch tracker re-sends its
   * transaction with the same nonce and fees +20 % on its next pass (as after TX_REPLACE_AFTER_MS).
   */
  async replaceBatch(who: AdminIdentity, batchId: string, requestId?: string): Promise<RequestedActionResult> {
    if (!UUID.test(batchId)) throw new NotFoundException('no such batch');
    if (!(await this.repository.batchExists(batchId))) throw new NotFoundException('no such batch');
    return this.request(who, 'batch.replace', 'batch', batchId, {}, requestId);
  }

  /** One recorded operator action request, for the operator following it (null when there is none). */
  async action(id: string): Promise<OperatorActionRow | null> {
    if (!UUID.test(id)) return null;
    return (await this.repository.action(id)) ?? null;
  }

  /**
   * Records an action for the worker (request row + `<action>.requested` audit row, one transaction),
   * enqueues its job after the commit (the worker's sweep enqueues it again if Redis loses it), then waits
   * up to ADMIN_ACTION_WAIT_MS for the outcome.
   */
  private async request(
    who: AdminIdentity,
    action: OperatorAction,
    targetType: string,
    targetId: string,
    params: Record<string, unknown>,
    requestId: string | undefined,
  ): Promise<RequestedActionResult> {
    const actionId = await this.dataSource.transaction(async (m) => {
      const id = await this.repository.insertRequest(m, {
        action,
        targetType,
        targetId,
        params,
        actor: who.actor,
        userId: who.userId ?? null,
        tokenId: who.tokenId ?? null,
        requestId: requestId ?? null,
      });
      await this.audit.record(who, { action: `${action}.requested`, targetType, targetId, detail: { actionId: id, ...params }, requestId }, m);
      return id;
    });
    await this.queues
      .add(OPERATOR_ACTION_JOBS[action], { actionId, requestId })
      .catch((e: Error) => this.logger.warn(`enqueue of ${action} ${actionId} failed, the worker's sweep will: ${e.message}`));
    const deadline = Date.now() + this.config.admin.actionWaitMs;
    for (;;) {
      const a = await this.action(actionId);
      if (a && a.status !== 'requested') return outcome(a);
      if (Date.now() + ACTION_POLL_MS > deadline) break;
      await sleep(ACTION_POLL_MS);
    }
    return {
      ok: true,
      status: 'requested',
      actionId,
      message: `Requested (action ${actionId}); the worker has not carried it out yet. Follow it at /admin/api/actions/${actionId} or in the audit log.`,
      before: null,
      after: null,
    };
  }

  /**
   * Sends a webhook delivery again: a new delivery row with the same message id, snapshot and event time
   * (receivers deduplicate on `webhook-id`), dispatched after commit. Refused for a deleted or disabled
   * endpoint — the merchant re-enables it first.
   */
  async replayDelivery(who: AdminIdentity, deliveryId: string, requestId?: string): Promise<ActionResult & { deliveryId: string }> {
    if (!UUID.test(deliveryId)) throw new NotFoundException('no such webhook delivery');
    const result = await this.dataSource.transaction(async (m) => {
      const d = await this.repository.replayableDelivery(m, deliveryId);
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
      const row = await this.repository.lockMerchant(m, id);
      if (!row) throw new NotFoundException('no such merchant');
      if (row.status === status) throw new ConflictException(`merchant ${row.name} is already ${status}`);
      await this.repository.setMerchantStatus(m, id, status);
      const before = { status: row.status };
      const after = { status };
      await this.audit.record(who, { action: status === 'suspended' ? 'merchant.suspend' : 'merchant.activate', targetType: 'merchant', targetId: id, before, after, requestId }, m);
      return { ok: true as const, message: `Merchant ${row.name} is ${status}.`, before, after };
    });
    // After the commit, before answering: the next request on any API process reads the new status.
    await this.merchants.invalidateMerchant(id);
    return result;
  }

  /**
   * Issues a new API key to a merchant that lost theirs (see {@link MerchantKeyIssuer}); keys revoked with
   * it are refused from the next request on, on every API process. The secret is in this answer only.
   */
  async issueMerchantKey(who: AdminIdentity, id: string, input: IssueMerchantKeyInput, requestId?: string): Promise<IssuedMerchantKey> {
    const issued = await this.keyIssuer.issue(who, id, input, requestId);
    if (issued.after.revoked.length) await this.merchants.invalidateMerchant(id);
    return issued;
  }

  private async loadPayment(refOrId: string): Promise<{ id: string; reference: string }> {
    const p = await this.repository.paymentRef(refOrId);
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
    set: LaneControlChange,
    requestId: string | undefined,
    message: string,
  ): Promise<ActionResult> {
    return this.dataSource.transaction(async (m) => {
      const { before: b, after: a } = await this.repository.changeLane(m, lane.network, lane.asset, set);
      await this.audit.record(who, { action, targetType: 'lane', targetId: `${lane.network}/${lane.asset}`, before: b, after: a, requestId }, m);
      return { ok: true as const, message, before: b, after: a };
    });
  }
}

/** The worker's outcome as the answer of the request: what it did, or the refusal as 409/404. */
function outcome(a: OperatorActionRow): RequestedActionResult {
  const message = a.message ?? a.status;
  switch (a.status) {
    case 'succeeded':
      return { ok: true, status: 'succeeded', actionId: a.id, message, before: a.before, after: a.after };
    case 'not_found':
      throw new NotFoundException(message);
    case 'failed':
      throw new ServiceUnavailableException(message);
    default:
      throw new ConflictException(message);
  }
}
