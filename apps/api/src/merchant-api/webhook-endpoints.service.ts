import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { TOLLGATE_CONFIG, TollgateConfig } from '@tollgate/config';
import { WebhookDeliveryRepository, type WebhookDeliveryStatus, WebhookEndpointRepository, type WebhookEndpointRow } from '@tollgate/persistence';
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
import { Cursor } from './validation';
import { attemptView, deliveryView, endpointView, WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView, WebhookEndpointWithSecret } from './webhook-views';

export type { WebhookAttemptView, WebhookDeliveryView, WebhookEndpointView, WebhookEndpointWithSecret } from './webhook-views';

/** Most live endpoints per merchant: every emitting transition fans out to each of them. */
export const MAX_ENDPOINTS_PER_MERCHANT = 20;
/** Longest overlap during which a rotated-out secret still signs (7 days). */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86400;

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
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
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
      const n = await this.endpoints.lockMerchantAndCountLive(m, merchantId);
      if (n >= MAX_ENDPOINTS_PER_MERCHANT) throw new ConflictException(`at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints per merchant`);
      const sealed = this.secrets.seal(secret, id);
      return this.endpoints.insert(m, { id, merchantId, url: input.url, description: input.description ?? null, eventTypes: input.eventTypes, secretCiphertext: sealed });
    });
    return { ...endpointView(row), secret };
  }

  async list(merchantId: string): Promise<WebhookEndpointView[]> {
    const rows = await this.endpoints.list(merchantId);
    return rows.map(endpointView);
  }

  /** @throws NotFoundException for another merchant's endpoint, a deleted one or none. */
  async get(merchantId: string, id: string): Promise<WebhookEndpointView> {
    return endpointView(await this.find(merchantId, id));
  }

  /**
   * Changes URL, event types, description or enablement. A new URL passes the URL policy again and
   * starts a fresh failure run; re-enabling forgets the old one.
   */
  async update(merchantId: string, id: string, patch: EndpointPatch): Promise<WebhookEndpointView> {
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const row = await this.dataSource.transaction(async (m) => {
      const current = await this.find(merchantId, id, m, true);
      const enable = patch.enabled === true && current.status === 'disabled';
      const disable = patch.enabled === false && current.status === 'active';
      const { url, eventTypes, description } = patch;
      const updated = await this.endpoints.update(m, id, { url, eventTypes, description, status: enable ? 'active' : disable ? 'disabled' : undefined });
      if (!updated) return current;
      if (disable) await WebhookOutbox.cancelPending(m, id, 'endpoint disabled');
      return updated;
    });
    return endpointView(row);
  }

  /** Soft-deletes an endpoint (its delivery log stays) and fails its pending deliveries. */
  async remove(merchantId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.find(merchantId, id, m, true);
      await this.endpoints.softDelete(m, id);
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
      await this.find(merchantId, id, m, true);
      return this.endpoints.rotateSecret(m, id, this.secrets.seal(secret, id), overlapSeconds);
    });
    return { ...endpointView(row), secret };
  }

  /** Queues a `webhook.test` delivery (sent even to a disabled endpoint, to check a fix). */
  async testSend(merchantId: string, id: string): Promise<{ deliveryId: string }> {
    const deliveryId = await this.dataSource.transaction(async (m) => {
      await this.find(merchantId, id, m);
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
    await this.find(merchantId, id);
    const rows = await this.deliveries.listForEndpoint(merchantId, id, { ...q, cursor: Cursor.decode(q.cursor), limit: q.limit + 1 });
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
    const row = await this.deliveries.getForEndpoint(merchantId, id, deliveryId);
    if (!row) throw new NotFoundException('webhook delivery not found');
    const attempts = await this.deliveries.attempts(deliveryId);
    return {
      ...deliveryView(row),
      payload: buildPayload(row.event_type, new Date(row.occurred_at), row.snapshot, this.assets),
      attempts: attempts.map(attemptView),
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
    const endpoint = await this.find(merchantId, id, m, true);
    if (endpoint.status !== 'active') throw new ConflictException('the endpoint is disabled; re-enable it (PATCH enabled: true) before replaying');
  }

  /** @throws NotFoundException for another merchant's endpoint, a deleted one or none. */
  private async find(merchantId: string, id: string, m?: EntityManager, lock = false): Promise<WebhookEndpointRow> {
    const row = await this.endpoints.find(merchantId, id, m, lock);
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
