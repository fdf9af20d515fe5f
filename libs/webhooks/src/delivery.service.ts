import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TollgateConfig } from '@tollgate/config';
import {
  ClaimedWebhookDelivery,
  TEST_EVENT,
  WebhookDeliveryRepository,
  WebhookDeliveryStatus,
  WebhookDeliveryStore,
  WebhookEndpointRepository,
  WebhookEndpointSendRow,
  WebhookRelayRepository,
} from '@tollgate/persistence';
import { AssetDirectory, buildPayload } from './event-payload';
import { SendResult, sendWebhook } from './http-sender';
import { nextAttempt } from './retry-schedule';
import { SecretBox, SecretBoxError } from './secret-box';
import { signWebhook } from './signer';
import { WebhookUrlError, WebhookUrlPolicy } from './url-policy';
import { deliveryJobId, WebhookDispatcher } from './dispatcher';
import { WebhookOutbox } from './outbox';

const deliveryStatus = new WebhookDeliveryStore();
/**
 * What a claimed delivery may be in when its outcome is recorded: `pending`, or `failed` when its endpoint
 * was disabled (cancelPending) while the attempt was in flight — the attempt's outcome is still recorded.
 */
const CLAIMED: readonly WebhookDeliveryStatus[] = ['pending', 'failed'];

/** What one delivery job did. */
export type DeliverOutcome =
  | { kind: 'not-found' }
  /** Not pending any more, or another worker holds it: nothing to do. */
  | { kind: 'skipped'; status: string }
  /** The job ran before the attempt is due (clock skew, a sweeper duplicate): run it again in `dueInMs`. */
  | { kind: 'early'; dueInMs: number }
  | { kind: 'succeeded'; attempt: number; statusCode: number }
  /** The attempt failed; the next one is scheduled `delayMs` from now. */
  | { kind: 'retrying'; attempt: number; delayMs: number; error: string }
  /** The delivery ended failed: schedule spent, endpoint disabled or deleted, secret unreadable. */
  | { kind: 'failed'; attempt: number; error: string; endpointDisabled: boolean };

/** Extra time an attempt holds its delivery beyond the HTTP timeout (DNS, signing, bookkeeping). */
const CLAIM_MARGIN_MS = 30_000;

/**
 * Makes webhook attempts and keeps the outbox moving. Every step is safe to run twice: an attempt first
 * claims its delivery with a conditional UPDATE (pending, due, not held), so a duplicate job finds nothing
 * to do, and the outcome of an attempt (its `webhook_attempts` row, the delivery's next due time, the
 * endpoint's health) is written in one transaction before the next job is made.
 */
export class WebhookDeliveryService {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly assets: AssetDirectory;
  private readonly deliveries: WebhookDeliveryRepository;
  private readonly endpoints: WebhookEndpointRepository;
  private readonly relay: WebhookRelayRepository;

  constructor(
    private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly urlPolicy: WebhookUrlPolicy,
    private readonly dispatcher: WebhookDispatcher,
    private readonly send: typeof sendWebhook = sendWebhook,
  ) {
    this.assets = new AssetDirectory(config.networks);
    this.deliveries = new WebhookDeliveryRepository(dataSource);
    this.endpoints = new WebhookEndpointRepository(dataSource);
    this.relay = new WebhookRelayRepository(dataSource);
  }

  /** Closes the HTTP connections kept alive to merchants' endpoints (worker shutdown). */
  async close(): Promise<void> {
    await this.urlPolicy.dispatcher.close();
  }

  /** A pending delivery due this long ago whose job never ran is considered lost (Redis flushed, worker crash). */
  get lostAfterMs(): number {
    return this.config.webhooks.timeoutMs + 10 * this.config.webhooks.sweepIntervalMs;
  }

  /**
   * Makes the next attempt of one delivery if it is pending, due and not held by another worker.
   * @throws only on infrastructure failure (database); the job is then retried by BullMQ.
   */
  async deliver(deliveryId: string): Promise<DeliverOutcome> {
    const w = this.config.webhooks;
    const d = await this.deliveries.claim(deliveryId, (w.timeoutMs + CLAIM_MARGIN_MS) / 1000);
    if (!d) return this.whyNotClaimed(deliveryId);

    const endpoint = await this.endpoints.forSending(d.endpoint_id);
    if (!endpoint || endpoint.deleted) return this.finishWithoutAttempt(d, 'endpoint deleted');
    // A test send may go to a disabled endpoint: that is how a merchant checks a fix before re-enabling.
    if (endpoint.status !== 'active' && d.event_type !== TEST_EVENT) return this.finishWithoutAttempt(d, 'endpoint disabled');

    let signingSecrets: string[];
    try {
      signingSecrets = [this.secrets.open(endpoint.secret_ciphertext, endpoint.id)];
      if (endpoint.previous_secret_ciphertext && endpoint.previous_active) {
        signingSecrets.push(this.secrets.open(endpoint.previous_secret_ciphertext, endpoint.id));
      }
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      this.logger.error(`endpoint ${endpoint.id}: signing secret does not decrypt (was WEBHOOK_SECRET_KEY changed?)`);
      return this.finishWithoutAttempt(d, 'signing secret unreadable');
    }

    const body = JSON.stringify(buildPayload(d.event_type, new Date(d.occurred_at), d.snapshot, this.assets));
    const startedAt = new Date();
    let result: SendResult;
    try {
      await this.urlPolicy.check(endpoint.url);
      const headers = signWebhook({ id: d.message_id, timestamp: startedAt, body }, signingSecrets);
      result = await this.send(endpoint.url, { ...headers }, body, w.timeoutMs, this.urlPolicy.dispatcher);
    } catch (e) {
      if (!(e instanceof WebhookUrlError)) throw e;
      result = { ok: false, statusCode: null, latencyMs: 0, responseBody: null, error: `refused: URL ${e.message}`, retryAfterMs: null };
    }
    return this.record(d, endpoint, startedAt, result);
  }

  private async whyNotClaimed(deliveryId: string): Promise<DeliverOutcome> {
    const row = await this.deliveries.state(deliveryId);
    if (!row) return { kind: 'not-found' };
    if (row.status === 'pending' && !row.held && row.dueInMs > 0) return { kind: 'early', dueInMs: row.dueInMs };
    return { kind: 'skipped', status: row.held ? 'held' : row.status };
  }

  private async finishWithoutAttempt(d: ClaimedWebhookDelivery, why: string): Promise<DeliverOutcome> {
    await deliveryStatus.transition(this.dataSource, { id: d.id }, CLAIMED, 'failed', { last_error: why });
    return { kind: 'failed', attempt: d.attempt_count, error: why, endpointDisabled: false };
  }

  private async record(d: ClaimedWebhookDelivery, endpoint: WebhookEndpointSendRow, startedAt: Date, r: SendResult): Promise<DeliverOutcome> {
    const w = this.config.webhooks;
    const attempt = d.attempt_count + 1;
    const decision = r.ok ? null : nextAttempt(w.retryScheduleMs, attempt, r.retryAfterMs);
    const notices: string[] = [];
    let disabled = false;
    await this.dataSource.transaction(async (m) => {
      await this.deliveries.recordAttempt(m, {
        deliveryId: d.id,
        attempt,
        startedAt,
        statusCode: r.statusCode,
        latencyMs: r.latencyMs,
        responseBody: r.responseBody,
        error: r.error,
      });
      if (r.ok) {
        await deliveryStatus.transition(m, { id: d.id }, CLAIMED, 'succeeded', { attempt_count: attempt, last_status_code: r.statusCode, last_error: null });
        await this.endpoints.recordSuccess(m, endpoint.id);
        return;
      }
      if (decision?.retry) {
        await this.deliveries.scheduleRetry(m, d.id, attempt, r.statusCode, r.error, decision.delayMs / 1000);
      } else {
        await deliveryStatus.transition(m, { id: d.id }, CLAIMED, 'failed', { attempt_count: attempt, last_status_code: r.statusCode, last_error: r.error });
      }
      // Health: a run of failures with no success in between, long enough, disables the endpoint. Only
      // one worker wins the conditional UPDATE, so the merchant is told once.
      const health = await this.endpoints.recordFailure(m, endpoint.id, startedAt, w.disableAfterMs / 1000);
      if (!health?.disable) return;
      const reason = `failing since ${new Date(health.failing_since).toISOString()}; last error: ${r.error}`;
      const disabledAt = await this.endpoints.disable(m, endpoint.id, reason);
      if (!disabledAt) return;
      disabled = true;
      await WebhookOutbox.cancelPending(m, endpoint.id, 'endpoint disabled');
      notices.push(
        ...(await WebhookOutbox.notifyDisabled(m, d.merchant_id, {
          endpointId: endpoint.id,
          url: endpoint.url,
          reason,
          failingSince: new Date(health.failing_since).toISOString(),
          disabledAt: new Date(disabledAt).toISOString(),
        })),
      );
    });
    if (disabled) this.logger.warn(`endpoint ${endpoint.id} disabled after sustained failure (${r.error})`);
    if (notices.length) await this.dispatcher.dispatchNew(notices).catch(() => undefined);
    if (r.ok) return { kind: 'succeeded', attempt, statusCode: r.statusCode ?? 0 };
    if (decision?.retry && !disabled) {
      await this.dispatcher.enqueue([{ id: d.id, delayMs: decision.delayMs, jobId: deliveryJobId(d.id, attempt) }], false);
      return { kind: 'retrying', attempt, delayMs: decision.delayMs, error: r.error ?? 'failed' };
    }
    return { kind: 'failed', attempt, error: disabled ? 'endpoint disabled' : (r.error ?? 'failed'), endpointDisabled: disabled };
  }

  /**
   * The outbox relay and lost-job sweep, one pass: makes jobs for pending deliveries no job was made for
   * (written by the ledger in any process, or whose enqueue failed), and again for pending deliveries due
   * for longer than {@link lostAfterMs} that nobody holds (their job vanished with Redis or a crash).
   * @returns how many jobs were made.
   */
  async sweep(limit = 500): Promise<{ relayed: number; recovered: number }> {
    const fresh = await this.relay.claimUnrelayed(limit);
    const relayed = await this.dispatcher.enqueue(
      fresh.map((r) => ({ id: r.id, delayMs: Number(r.delay_ms), jobId: deliveryJobId(r.id, r.attempt_count) })),
      true,
    );
    const lostSecs = this.lostAfterMs / 1000;
    const lost = await this.relay.claimLost(limit, lostSecs);
    // No fixed job id: the lost job's id may still be taken by a failed or stale job record in Redis.
    const recovered = await this.dispatcher.enqueue(lost.map((id) => ({ id, delayMs: 0 })), false);
    if (recovered) this.logger.warn(`re-enqueued ${recovered} webhook deliveries whose job was lost`);
    return { relayed, recovered };
  }
}
