import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { queryRows, type WebhookDeliveryStatus } from '@tollgate/persistence';
import {
  AssetDirectory,
  buildPayload,
  generateWebhookSecret,
  ReplayRangeTooLargeError,
  SecretBox,
  WebhookDispatcher,
  WebhookOutbox,
  WebhookUrlError,
  WebhookUrlPolicy,
} from '@tollgate/webhooks';
import { Cursor, cursorTimestampSql } from './validation';
import { whereAdder, isoOrNull } from '../common/sql-where';

/** Most live endpoints per merchant: every emitting transition fans out to each of them. */
export const MAX_ENDPOINTS_PER_MERCHANT = 20;
/** Longest overlap during which a rotated-out secret still signs (7 days). */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86400;

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  /** `disabled` after sustained failure (see `disabledReason`) or by the merchant; re-enable with PATCH. */
  status: 'active' | 'disabled';
  disabledAt: string | null;
  disabledReason: string | null;
  /** Start of the current run of failed attempts; null while healthy. */
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** While set and in the future, the previous secret signs too (rotation overlap). */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An endpoint with its signing secret: only in the answers to create and rotate. */
export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  /** `whsec_…` (Standard Webhooks). Store it now: it is never shown again. */
  secret: string;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventType: string;
  /** The `webhook-id` header (stable across retries and replays). */
  messageId: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  paymentReference: string | null;
  occurredAt: string;
  replayOf: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface WebhookAttemptView {
  attempt: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  /** First 1024 characters of the receiver's answer. */
  responseBody: string | null;
  error: string | null;
}

export interface EndpointInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
}

export interface EndpointPatch {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  /** true re-enables a disabled endpoint (and forgets its failure run); false disables it. */
  enabled?: boolean;
}

interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  status: 'active' | 'disabled';
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = `id, url, description, event_types, status, disabled_at, disabled_reason, failing_since, last_success_at,
  last_failure_at, previous_secret_expires_at, created_at, updated_at`;

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  message_id: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  reference: string | null;
  occurred_at: Date;
  replay_of: string | null;
  created_at: Date;
  completed_at: Date | null;
  snapshot: Record<string, unknown>;
  cursor_ts: string;
}

const iso = isoOrNull;

/**
 * A merchant's webhook endpoints and their deliveries. Every query is scoped by merchant: another
 * merchant's endpoint is answered exactly like one that does not exist (404).
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly logger = new Logger(WebhookEndpointsService.name);
  private readonly assets: AssetDirectory;

  constructor(
    @Inject(TOLLGATE_CONFIG) config: TollgateConfig,
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly urlPolicy: WebhookUrlPolicy,
    private readonly dispatcher: WebhookDispatcher,
  ) {
    this.assets = new AssetDirectory(config.networks);
  }

  /**
   * Registers an endpoint and makes its signing secret.
   * @throws BadRequestException naming `url` when the URL policy refuses it; ConflictException at the endpoint limit.
   */
  async create(merchantId: string, input: EndpointInput): Promise<WebhookEndpointWithSecret> {
    await this.checkUrl(input.url);
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const row = await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT id FROM merchants WHERE id = $1 FOR UPDATE`, [merchantId]);
      const [{ n }] = await queryRows<{ n: number }>(
        m,
        `SELECT count(*)::int AS n FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL`,
        [merchantId],
      );
      if (n >= MAX_ENDPOINTS_PER_MERCHANT) throw new ConflictException(`at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints per merchant`);
      const [created] = await queryRows<EndpointRow>(
        m,
        `INSERT INTO webhook_endpoints (id, merchant_id, url, description, event_types, secret_ciphertext)
         VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING ${ENDPOINT_COLUMNS}`,
        [id, merchantId, input.url, input.description ?? null, input.eventTypes, this.secrets.seal(secret, id)],
      );
      return created;
    });
    return { ...endpointView(row), secret };
  }

  async list(merchantId: string): Promise<WebhookEndpointView[]> {
    const rows = await queryRows<EndpointRow>(
      this.dataSource,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [merchantId],
    );
    return rows.map(endpointView);
  }

  /** @throws NotFoundException for another merchant's endpoint, a deleted one or none. */
  async get(merchantId: string, id: string): Promise<WebhookEndpointView> {
    return endpointView(await this.find(this.dataSource.manager, merchantId, id));
  }

  /**
   * Changes URL, event types, description or enablement. A new URL passes the URL policy again and
   * starts a fresh failure run; re-enabling forgets the old one.
   */
  async update(merchantId: string, id: string, patch: EndpointPatch): Promise<WebhookEndpointView> {
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const row = await this.dataSource.transaction(async (m) => {
      const current = await this.find(m, merchantId, id, true);
      const sets: string[] = [];
      const params: unknown[] = [id];
      const set = (sql: string, value: unknown) => {
        params.push(value);
        sets.push(sql.replace('?', `$${params.length}`));
      };
      if (patch.url !== undefined) {
        set('url = ?', patch.url);
        sets.push('failing_since = NULL');
      }
      if (patch.eventTypes !== undefined) set('event_types = ?::text[]', patch.eventTypes);
      if (patch.description !== undefined) set('description = ?', patch.description);
      if (patch.enabled === true && current.status === 'disabled') {
        sets.push(`status = 'active'`, 'disabled_at = NULL', 'disabled_reason = NULL', 'failing_since = NULL');
      } else if (patch.enabled === false && current.status === 'active') {
        sets.push(`status = 'disabled'`, 'disabled_at = now()', `disabled_reason = 'disabled by the merchant'`);
      }
      if (sets.length === 0) return current;
      const [updated] = await queryRows<EndpointRow>(
        m,
        `WITH u AS (UPDATE webhook_endpoints SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}) SELECT * FROM u`,
        params,
      );
      if (patch.enabled === false && current.status === 'active') await WebhookOutbox.cancelPending(m, id, 'endpoint disabled');
      return updated;
    });
    return endpointView(row);
  }

  /** Soft-deletes an endpoint (its delivery log stays) and fails its pending deliveries. */
  async remove(merchantId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.find(m, merchantId, id, true);
      await m.query(`UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
      await WebhookOutbox.cancelPending(m, id, 'endpoint deleted');
    });
  }

  /**
   * Makes a new signing secret. The current one keeps signing alongside it for `overlapSeconds` (0: not
   * at all), so receivers can switch without missing a webhook; an older previous secret is dropped.
   */
  async rotateSecret(merchantId: string, id: string, overlapSeconds: number): Promise<WebhookEndpointWithSecret> {
    const secret = generateWebhookSecret();
    const row = await this.dataSource.transaction(async (m) => {
      await this.find(m, merchantId, id, true);
      const [updated] = await queryRows<EndpointRow>(
        m,
        `WITH u AS (
           UPDATE webhook_endpoints
              SET previous_secret_ciphertext = CASE WHEN $3::int > 0 THEN secret_ciphertext END,
                  previous_secret_expires_at = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int) END,
                  secret_ciphertext = $2, updated_at = now()
            WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}
         ) SELECT * FROM u`,
        [id, this.secrets.seal(secret, id), overlapSeconds],
      );
      return updated;
    });
    return { ...endpointView(row), secret };
  }

  /** Queues a `webhook.test` delivery (sent even to a disabled endpoint, to check a fix). */
  async testSend(merchantId: string, id: string): Promise<{ deliveryId: string }> {
    const deliveryId = await this.dataSource.transaction(async (m) => {
      await this.find(m, merchantId, id);
      return WebhookOutbox.createTest(m, id, merchantId);
    });
    await this.dispatchAfterCommit([deliveryId]);
    return { deliveryId };
  }

  /** Newest first, keyset-paginated by (event time, id). */
  async listDeliveries(
    merchantId: string,
    id: string,
    q: { status?: WebhookDeliveryStatus; eventType?: string; limit: number; cursor?: string },
  ): Promise<{ data: WebhookDeliveryView[]; nextCursor: string | null }> {
    await this.find(this.dataSource.manager, merchantId, id);
    const cursor = Cursor.decode(q.cursor);
    const params: unknown[] = [id, merchantId];
    const where = ['d.endpoint_id = $1', 'd.merchant_id = $2'];
    const add = whereAdder(params, where);
    if (q.status) add('d.status = ?', q.status);
    if (q.eventType) add('d.event_type = ?', q.eventType);
    if (cursor) add('(d.occurred_at, d.id) < (?::timestamptz, ?::uuid)', cursor.ts, cursor.id);
    params.push(q.limit + 1);
    const rows = await queryRows<DeliveryRow>(
      this.dataSource,
      `SELECT d.*, p.reference, ${cursorTimestampSql('d.occurred_at')} AS cursor_ts
         FROM webhook_deliveries d LEFT JOIN payments p ON p.id = d.payment_id
        WHERE ${where.join(' AND ')}
        ORDER BY d.occurred_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { data: page.map(deliveryView), nextCursor: rows.length > q.limit && last ? Cursor.encode(last.cursor_ts, last.id) : null };
  }

  /** One delivery with its attempts and the exact body it sends. */
  async getDelivery(
    merchantId: string,
    id: string,
    deliveryId: string,
  ): Promise<WebhookDeliveryView & { payload: unknown; attempts: WebhookAttemptView[] }> {
    const [row] = await queryRows<DeliveryRow>(
      this.dataSource,
      `SELECT d.*, p.reference, '' AS cursor_ts FROM webhook_deliveries d LEFT JOIN payments p ON p.id = d.payment_id
        WHERE d.id = $1 AND d.endpoint_id = $2 AND d.merchant_id = $3`,
      [deliveryId, id, merchantId],
    );
    if (!row) throw new NotFoundException('webhook delivery not found');
    const attempts = await queryRows<{ attempt: number; started_at: Date; status_code: number | null; latency_ms: number; response_body: string | null; error: string | null }>(
      this.dataSource,
      `SELECT attempt, started_at, status_code, latency_ms, response_body, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
    return {
      ...deliveryView(row),
      payload: buildPayload(row.event_type, new Date(row.occurred_at), row.snapshot, this.assets),
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        startedAt: new Date(a.started_at).toISOString(),
        statusCode: a.status_code,
        latencyMs: a.latency_ms,
        responseBody: a.response_body,
        error: a.error,
      })),
    };
  }

  /**
   * Sends one delivery again as a new delivery (same `webhook-id` and body).
   * @throws NotFoundException for an unknown delivery; ConflictException when the endpoint is disabled.
   */
  async replayDelivery(merchantId: string, id: string, deliveryId: string): Promise<{ deliveryId: string }> {
    const newId = await this.dataSource.transaction(async (m) => {
      await this.requireActive(m, merchantId, id);
      const created = await WebhookOutbox.replayOne(m, merchantId, id, deliveryId);
      if (!created) throw new NotFoundException('webhook delivery not found');
      return created;
    });
    await this.dispatchAfterCommit([newId]);
    return { deliveryId: newId };
  }

  /**
   * Sends again every original delivery of `[since, until)` that failed (and, with `includeSucceeded`,
   * those that succeeded).
   * @throws BadRequestException naming `since` when the range is too large; ConflictException when disabled.
   */
  async replayRange(merchantId: string, id: string, range: { since: Date; until: Date; includeSucceeded: boolean }): Promise<{ replayed: number; deliveryIds: string[] }> {
    const ids = await this.dataSource.transaction(async (m) => {
      await this.requireActive(m, merchantId, id);
      try {
        return await WebhookOutbox.replayRange(m, merchantId, id, range);
      } catch (e) {
        if (e instanceof ReplayRangeTooLargeError) throw new BadRequestException({ message: `since: ${e.message}`, field: 'since' });
        throw e;
      }
    });
    await this.dispatchAfterCommit(ids);
    return { replayed: ids.length, deliveryIds: ids };
  }

  /** The rows are committed: if making their jobs fails now, the webhook worker's relay makes them. */
  private async dispatchAfterCommit(ids: string[]): Promise<void> {
    await this.dispatcher.dispatchNew(ids).catch((e: Error) => this.logger.warn(`dispatch of ${ids.length} deliveries deferred to the relay: ${e.message}`));
  }

  private async requireActive(m: EntityManager, merchantId: string, id: string): Promise<void> {
    const endpoint = await this.find(m, merchantId, id, true);
    if (endpoint.status !== 'active') throw new ConflictException('the endpoint is disabled; re-enable it (PATCH enabled: true) before replaying');
  }

  private async find(m: EntityManager, merchantId: string, id: string, lock = false): Promise<EndpointRow> {
    const [row] = await queryRows<EndpointRow>(
      m,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
      [id, merchantId],
    );
    if (!row) throw new NotFoundException('webhook endpoint not found');
    return row;
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.urlPolicy.check(url);
    } catch (e) {
      if (e instanceof WebhookUrlError) throw new BadRequestException({ message: `url: ${e.message}`, field: 'url' });
      throw e;
    }
  }
}

function endpointView(r: EndpointRow): WebhookEndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    status: r.status,
    disabledAt: iso(r.disabled_at),
    disabledReason: r.disabled_reason,
    failingSince: iso(r.failing_since),
    lastSuccessAt: iso(r.last_success_at),
    lastFailureAt: iso(r.last_failure_at),
    previousSecretExpiresAt: iso(r.previous_secret_expires_at),
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
  };
}

function deliveryView(r: DeliveryRow): WebhookDeliveryView {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    eventType: r.event_type,
    messageId: r.message_id,
    status: r.status,
    attemptCount: r.attempt_count,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    paymentReference: r.reference,
    occurredAt: iso(r.occurred_at) as string,
    replayOf: r.replay_of,
    createdAt: iso(r.created_at) as string,
    completedAt: iso(r.completed_at),
  };
}
