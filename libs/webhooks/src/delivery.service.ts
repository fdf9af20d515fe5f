import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TollgateConfig } from '@tollgate/config';
import { TEST_EVENT, WebhookDeliveryStatus, WebhookDeliveryStore } from '@tollgate/persistence';
import { AssetDirectory, buildPayload } from './event-payload';
import { SendResult, sendWebhook } from './http-sender';
import { nextAttempt } from './retry-schedule';
import { SecretBox, SecretBoxError } from './secret-box';
import { signWebhook } from './signer';
import { queryRows } from '@tollgate/persistence';
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

interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  merchant_id: string;
  event_type: string;
  message_id: string;
  payment_id: string | null;
  occurred_at: Date;
  snapshot: Record<string, unknown>;
  attempt_count: number;
}

interface EndpointRow {
  id: string;
  url: string;
  status: 'active' | 'disabled';
  deleted: boolean;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_active: boolean;
}

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

  constructor(
    private readonly config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly urlPolicy: WebhookUrlPolicy,
    private readonly dispatcher: WebhookDispatcher,
    private readonly send: typeof sendWebhook = sendWebhook,
  ) {
    this.assets = new AssetDirectory(config.networks);
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
    const [d] = await queryRows<ClaimedDelivery>(
      this.dataSource,
      `WITH c AS (
         UPDATE webhook_deliveries SET locked_until = clock_timestamp() + make_interval(secs => $2), updated_at = now()
          WHERE id = $1 AND status = 'pending' AND next_attempt_at <= clock_timestamp()
            AND (locked_until IS NULL OR locked_until < clock_timestamp())
          RETURNING id, endpoint_id, merchant_id, event_type, message_id, payment_id, occurred_at, snapshot, attempt_count
       ) SELECT * FROM c`,
      [deliveryId, (w.timeoutMs + CLAIM_MARGIN_MS) / 1000],
    );
    if (!d) return this.whyNotClaimed(deliveryId);

    const [endpoint] = await queryRows<EndpointRow>(
      this.dataSource,
      `SELECT id, url, status, deleted_at IS NOT NULL AS deleted, secret_ciphertext, previous_secret_ciphertext,
              coalesce(previous_secret_expires_at > clock_timestamp(), false) AS previous_active
         FROM webhook_endpoints WHERE id = $1`,
      [d.endpoint_id],
    );
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
    const [row] = await queryRows<{ status: string; due_in_ms: string; held: boolean }>(
      this.dataSource,
      `SELECT status, ceil(extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000)::bigint AS due_in_ms,
              coalesce(locked_until >= clock_timestamp(), false) AS held
         FROM webhook_deliveries WHERE id = $1`,
      [deliveryId],
    );
    if (!row) return { kind: 'not-found' };
    if (row.status === 'pending' && !row.held && Number(row.due_in_ms) > 0) return { kind: 'early', dueInMs: Number(row.due_in_ms) };
    return { kind: 'skipped', status: row.held ? 'held' : row.status };
  }

  private async finishWithoutAttempt(d: ClaimedDelivery, why: string): Promise<DeliverOutcome> {
    await deliveryStatus.transition(this.dataSource, { id: d.id }, CLAIMED, 'failed', { last_error: why });
    return { kind: 'failed', attempt: d.attempt_count, error: why, endpointDisabled: false };
  }

  private async record(d: ClaimedDelivery, endpoint: EndpointRow, startedAt: Date, r: SendResult): Promise<DeliverOutcome> {
    const w = this.config.webhooks;
    const attempt = d.attempt_count + 1;
    const decision = r.ok ? null : nextAttempt(w.retryScheduleMs, attempt, r.retryAfterMs);
    const notices: string[] = [];
    let disabled = false;
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, response_body, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [d.id, attempt, startedAt, r.statusCode, r.latencyMs, r.responseBody, r.error],
      );
      if (r.ok) {
        await deliveryStatus.transition(m, { id: d.id }, CLAIMED, 'succeeded', { attempt_count: attempt, last_status_code: r.statusCode, last_error: null });
        await m.query(`UPDATE webhook_endpoints SET failing_since = NULL, last_success_at = now() WHERE id = $1`, [endpoint.id]);
        return;
      }
      if (decision?.retry) {
        await m.query(
          `UPDATE webhook_deliveries SET attempt_count = $2, last_status_code = $3, last_error = $4, locked_until = NULL,
                  next_attempt_at = clock_timestamp() + make_interval(secs => $5), job_enqueued_at = now(), updated_at = now()
            WHERE id = $1`,
          [d.id, attempt, r.statusCode, r.error, decision.delayMs / 1000],
        );
      } else {
        await deliveryStatus.transition(m, { id: d.id }, CLAIMED, 'failed', { attempt_count: attempt, last_status_code: r.statusCode, last_error: r.error });
      }
      // Health: a run of failures with no success in between, long enough, disables the endpoint. Only
      // one worker wins the conditional UPDATE, so the merchant is told once.
      const [health] = await queryRows<{ failing_since: Date; disable: boolean }>(
        m,
        `WITH h AS (
           UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2), last_failure_at = now()
            WHERE id = $1 AND status = 'active' AND deleted_at IS NULL
            RETURNING failing_since, failing_since <= clock_timestamp() - make_interval(secs => $3) AS disable
         ) SELECT * FROM h`,
        [endpoint.id, startedAt, w.disableAfterMs / 1000],
      );
      if (!health?.disable) return;
      const reason = `failing since ${new Date(health.failing_since).toISOString()}; last error: ${r.error}`;
      const [off] = await queryRows<{ disabled_at: Date }>(
        m,
        `WITH o AS (
           UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now(), disabled_reason = $2, updated_at = now()
            WHERE id = $1 AND status = 'active' RETURNING disabled_at
         ) SELECT * FROM o`,
        [endpoint.id, reason],
      );
      if (!off) return;
      disabled = true;
      await WebhookOutbox.cancelPending(m, endpoint.id, 'endpoint disabled');
      notices.push(
        ...(await WebhookOutbox.notifyDisabled(m, d.merchant_id, {
          endpointId: endpoint.id,
          url: endpoint.url,
          reason,
          failingSince: new Date(health.failing_since).toISOString(),
          disabledAt: new Date(off.disabled_at).toISOString(),
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
    const fresh = await queryRows<{ id: string; attempt_count: number; delay_ms: string }>(
      this.dataSource,
      `WITH picked AS (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND job_enqueued_at IS NULL
          ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET job_enqueued_at = now() FROM picked WHERE d.id = picked.id
         RETURNING d.id, d.attempt_count, GREATEST(0, ceil(extract(epoch FROM d.next_attempt_at - clock_timestamp()) * 1000))::bigint AS delay_ms
       ) SELECT * FROM claimed`,
      [limit],
    );
    const relayed = await this.dispatcher.enqueue(
      fresh.map((r) => ({ id: r.id, delayMs: Number(r.delay_ms), jobId: deliveryJobId(r.id, r.attempt_count) })),
      true,
    );
    const lostSecs = this.lostAfterMs / 1000;
    const lost = await queryRows<{ id: string }>(
      this.dataSource,
      `WITH picked AS (
         SELECT id FROM webhook_deliveries
          WHERE status = 'pending' AND job_enqueued_at IS NOT NULL
            AND next_attempt_at < clock_timestamp() - make_interval(secs => $2)
            AND job_enqueued_at < clock_timestamp() - make_interval(secs => $2)
            AND (locked_until IS NULL OR locked_until < clock_timestamp())
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET job_enqueued_at = now() FROM picked WHERE d.id = picked.id RETURNING d.id
       ) SELECT * FROM claimed`,
      [limit, lostSecs],
    );
    // No fixed job id: the lost job's id may still be taken by a failed or stale job record in Redis.
    const recovered = await this.dispatcher.enqueue(lost.map((r) => ({ id: r.id, delayMs: 0 })), false);
    if (recovered) this.logger.warn(`re-enqueued ${recovered} webhook deliveries whose job was lost`);
    return { relayed, recovered };
  }
}
