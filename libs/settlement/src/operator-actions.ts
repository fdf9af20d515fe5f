import { Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Address, Hex } from 'viem';
import { TollgateConfig } from '@tollgate/config';
import { ChainClients, eip3009Abi, logSafeError } from '@tollgate/evm';
import {
  AuditActor,
  FINAL_STATUSES,
  OPERATOR_RETRY_REASON,
  OperatorActionRow,
  OperatorActionsRepository,
  OperatorPaymentRow,
  PaymentLedger,
  PaymentStatus,
  recordAdminAudit,
  SettlementBatchesRepository,
  VOIDABLE_STATUSES,
} from '@tollgate/persistence';
import { ReasonCode } from '@tollgate/protocol';
import { JobName, JobQueues, OperatorAction } from '@tollgate/queue';
import { exclusively } from './settlement-context';

/** A request the worker has not carried out by then is expired instead: the operator decided on an old picture. */
export const OPERATOR_ACTION_EXPIRY_MS = 15 * 60_000;

/** The action cannot (or can no longer) be carried out; `message` is a sentence an operator can act on. */
class Refusal extends Error {
  constructor(
    readonly status: 'refused' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Carries out the operator actions that touch the settlement pipeline — retry, void, replace — in the
 * worker, the one process that runs that pipeline. The API only recorded the request (`admin_actions` plus
 * its `<action>.requested` audit row). Each action re-checks that it still makes sense, then applies its
 * effect, writes its audit row (actor: the operator who asked) and the request's outcome in one Postgres
 * transaction, and only if the request is still `requested`: a job run twice does nothing twice. A refusal
 * is an outcome (`refused`/`not_found` with the reason, audited as `<action>.refused`), not a job failure.
 */
export class OperatorActions {
  private readonly logger = new Logger('OperatorActions');
  private readonly repo: OperatorActionsRepository;
  private readonly batches: SettlementBatchesRepository;

  constructor(
    private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly ledger: PaymentLedger,
    private readonly chains: ChainClients,
    private readonly queues: JobQueues,
  ) {
    this.repo = new OperatorActionsRepository(dataSource);
    this.batches = new SettlementBatchesRepository(dataSource);
  }

  /** Carries out one requested action (no-op when it already has an outcome). */
  async execute(actionId: string): Promise<void> {
    const a = await this.repo.find(actionId);
    if (!a || a.status !== 'requested') return;
    if (Date.now() - new Date(a.requested_at).getTime() > OPERATOR_ACTION_EXPIRY_MS) {
      await this.expire(a.id);
      return;
    }
    try {
      if (a.action === 'payment.retry') await this.retry(a);
      else if (a.action === 'payment.void') await this.void(a);
      else if (a.action === 'batch.replace') await this.replace(a);
      else throw new Refusal('refused', `unknown action ${String(a.action)}`);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      await this.dataSource.transaction(async (m) => {
        if (!(await this.claim(m, a.id))) return;
        await this.repo.refuse(m, a.id, e.status, e.message);
        await recordAdminAudit(m, actorOf(a), {
          action: `${a.action}.refused`,
          targetType: a.target_type,
          targetId: a.target_id,
          detail: { actionId: a.id, message: e.message },
          requestId: a.request_id ?? undefined,
        });
      });
    }
  }

  /** Expires requests older than {@link OPERATOR_ACTION_EXPIRY_MS}; returns the ids still waiting (to enqueue again). */
  async sweep(olderThanMs: number): Promise<Array<{ id: string; action: OperatorAction; request_id: string | null }>> {
    for (const id of await this.repo.requestedOlderThan(OPERATOR_ACTION_EXPIRY_MS)) await this.expire(id);
    return this.repo.waiting(olderThanMs);
  }

  /** Marks a request the worker gave up on (its job failed every attempt). */
  async markFailed(actionId: string, why: string): Promise<void> {
    await this.repo.fail(actionId, `the worker could not carry it out: ${why}`.slice(0, 500));
  }

  private async expire(id: string): Promise<void> {
    await this.repo.expire(
      id,
      `not carried out within ${OPERATOR_ACTION_EXPIRY_MS / 60_000} minutes of the request (was the worker running?); look again and ask again if it still makes sense`,
    );
  }

  /** Locks the request row; false when another run already gave it an outcome. */
  private claim(m: EntityManager, id: string): Promise<boolean> {
    return this.repo.claim(m, id);
  }

  /** Records the effect's audit row and the outcome, in the effect's transaction. */
  private async succeed(m: EntityManager, a: OperatorActionRow, message: string, before: unknown, after: unknown, detail: Record<string, unknown> = {}): Promise<void> {
    await this.repo.succeed(m, a.id, message, before, after);
    await recordAdminAudit(m, actorOf(a), {
      action: a.action,
      targetType: a.target_type,
      targetId: a.target_id,
      before,
      after,
      detail: { ...detail, actionId: a.id },
      requestId: a.request_id ?? undefined,
    });
  }

  /**
   * `failed → queued` for a payment that can still succeed: it was queued once (the merchant asked to
   * settle it), its authorization leaves at least the network's settlement window, its nonce is unused on
   * chain (`authorizationState`), and the payer's balance covers it plus their other unsettled payments.
   */
  private async retry(a: OperatorActionRow): Promise<void> {
    const p = await this.loadPayment(a.target_id);
    if (p.status !== 'failed') throw new Refusal('refused', `payment ${p.reference} is ${p.status}; only failed payments can be retried`);
    if (!p.queued_at) throw new Refusal('refused', `payment ${p.reference} was never queued (the merchant never asked to settle it); it cannot be retried`);
    const net = this.config.networks.find((n) => n.network === p.network);
    if (!net || !this.chains.has(p.network)) throw new Refusal('refused', `network ${p.network} is not served by this deployment`);
    const client = this.chains.get(p.network);
    const left = Number(BigInt(p.valid_before) - BigInt(Math.floor(Date.now() / 1000)));
    if (left < net.settlementWindowSeconds) {
      throw new Refusal(
        'refused',
        left <= 0
          ? `the authorization expired at ${new Date(Number(p.valid_before) * 1000).toISOString()}; it can never settle`
          : `the authorization expires in ${left} s, less than the ${net.settlementWindowSeconds} s the queue needs to settle it`,
      );
    }
    let used: boolean;
    let balance: bigint;
    try {
      [used, balance] = await Promise.all([
        client.readContract({ address: p.asset as Address, abi: eip3009Abi, functionName: 'authorizationState', args: [p.payer as Address, p.nonce as Hex] }),
        client.readContract({ address: p.asset as Address, abi: eip3009Abi, functionName: 'balanceOf', args: [p.payer as Address] }),
      ]);
    } catch (e) {
      throw new Refusal('refused', `could not read the authorization state on ${p.network}: ${logSafeError(e)}`);
    }
    if (used) throw new Refusal('refused', `the authorization nonce is already used or cancelled on chain; it can never settle`);
    const unsettled = await this.repo.otherUnsettled(p);
    const needed = BigInt(p.amount) + (this.config.exposureGuard ? BigInt(unsettled) : 0n);
    if (balance < needed) {
      throw new Refusal('refused', `the payer holds ${balance} atomic units but needs ${needed} (this payment ${p.amount} + other unsettled ${unsettled}); top up first`);
    }
    const before = { status: p.status, failure_reason: p.failure_reason, failure_message: p.failure_message };
    const after = { status: 'queued' as const };
    const done = await this.dataSource.transaction(async (m) => {
      if (!(await this.claim(m, a.id))) return false;
      const moved = await this.ledger.transition([p.id], 'failed', 'queued', {
        reason: OPERATOR_RETRY_REASON,
        detail: { actor: a.actor, actionId: a.id, ...(a.request_id ? { requestId: a.request_id } : {}) },
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
      if (moved.length === 0) throw new Refusal('refused', `payment ${p.reference} changed meanwhile; reload and try again`);
      await this.succeed(m, a, `Payment ${p.reference} is queued again.`, before, after);
      return true;
    });
    if (!done) return;
    // After commit, like /settle: the job is a nudge; the lane scheduler reads Postgres anyway.
    await this.queues
      .add(JobName.PaymentQueued, { paymentIds: [p.id], references: [p.reference], network: p.network, asset: p.asset, requestId: a.request_id ?? undefined })
      .catch((e: Error) => this.logger.warn(`enqueue after retry of ${p.reference} failed, the scheduler will find it: ${e.message}`));
  }

  /**
   * Voids a payment that has not been broadcast (`verified`, `queued`, `batched`) → `failed` with
   * `tollgate_voided`. A `batched` row is voided only while holding its batch's lock, so the submitter
   * cannot sign a transaction that still carries it. `submitted`/`included` are refused: the chain
   * cannot be stopped.
   */
  private async void(a: OperatorActionRow): Promise<void> {
    const note = String(a.params.note ?? '');
    const p = await this.loadPayment(a.target_id);
    if (FINAL_STATUSES.includes(p.status)) throw new Refusal('refused', `payment ${p.reference} is already ${p.status}; nothing to void`);
    if (p.status === 'submitted' || p.status === 'included') {
      throw new Refusal(
        'refused',
        `payment ${p.reference} is ${p.status}: its transaction${p.tx_hash ? ` ${p.tx_hash}` : ''} is already broadcast and the chain cannot be stopped; wait for the outcome (or replace the batch transaction)`,
      );
    }
    if (!VOIDABLE_STATUSES.includes(p.status)) throw new Refusal('refused', `payment ${p.reference} is ${p.status} and cannot be voided`);
    const before = { status: p.status, batch_id: p.batch_id };
    const after = { status: 'failed' as const, failure_reason: ReasonCode.TollgateVoided, failure_message: `voided by ${a.actor}: ${note}` };
    const apply = (from: PaymentStatus[]) =>
      this.dataSource.transaction(async (m) => {
        if (!(await this.claim(m, a.id))) return;
        const moved = await this.ledger.transition([p.id], from, 'failed', {
          reason: ReasonCode.TollgateVoided,
          detail: { actor: a.actor, note, actionId: a.id, ...(a.request_id ? { requestId: a.request_id } : {}) },
          patch: { failure_reason: after.failure_reason, failure_message: after.failure_message, batch_id: null },
        }, m);
        if (moved.length === 0) throw new Refusal('refused', `payment ${p.reference} moved on meanwhile (it may have been batched or broadcast); reload and decide again`);
        await this.succeed(m, a, `Payment ${p.reference} is voided.`, before, after, { note });
      });
    if (p.status === 'batched' && p.batch_id) {
      // The lock the submitter holds while it builds and signs this batch.
      const done = await exclusively(this.dataSource, `batch:${p.batch_id}`, async () => {
        await apply(['batched']);
        return true;
      });
      if (done === undefined) throw new Refusal('refused', `the batch of ${p.reference} is being submitted right now; reload in a moment and decide again`);
    } else {
      await apply([p.status]);
    }
  }

  /**
   * Marks a submitted batch for immediate replacement: the batch tracker re-sends its transaction with the
   * same nonce and fees +20 % on its next pass (as after TX_REPLACE_AFTER_MS), then clears the mark.
   */
  private async replace(a: OperatorActionRow): Promise<void> {
    const batchId = a.target_id;
    const done = await this.dataSource.transaction(async (m) => {
      if (!(await this.claim(m, a.id))) return false;
      const b = await this.batches.lockForReplaceRequest(m, batchId);
      if (!b) throw new Refusal('not_found', 'no such batch');
      if (b.status !== 'submitted') throw new Refusal('refused', `batch is ${b.status}; only a submitted transaction that is not yet included can be replaced`);
      await this.batches.requestReplacement(m, batchId);
      const before = { status: b.status, replacements: b.replacements, tx_hash: b.tx_hash, replace_requested_at: b.replace_requested_at };
      const after = { ...before, replace_requested_at: new Date().toISOString() };
      await this.succeed(m, a, `Batch ${batchId} will be replaced on the tracker's next pass.`, before, after);
      return true;
    });
    if (!done) return;
    await this.queues
      .add(JobName.BatchTrack, { batchId, requestId: a.request_id ?? undefined })
      .catch((e: Error) => this.logger.warn(`enqueue track after replace request of ${batchId} failed, the sweeper will: ${e.message}`));
  }

  private async loadPayment(reference: string): Promise<OperatorPaymentRow> {
    const p = await this.repo.paymentByReference(reference);
    if (!p) throw new Refusal('not_found', `no payment ${reference}`);
    return p;
  }
}

function actorOf(a: OperatorActionRow): AuditActor {
  return { actor: a.actor, userId: a.actor_user_id, tokenId: a.actor_token_id };
}
