import { EntityManager } from 'typeorm';
import { WebhookOutboxRepository } from '@tollgate/persistence';
import type { EndpointDisabledSnapshot, TestEventSnapshot } from './event-payload';

const outbox = new WebhookOutboxRepository();

/** Most deliveries one range replay may create; a wider range must be split. */
export const MAX_RANGE_REPLAY = 1000;

/** Raised when a range replay would create more than {@link MAX_RANGE_REPLAY} deliveries. */
export class ReplayRangeTooLargeError extends Error {
  constructor(readonly count: number) {
    super(`the range holds ${count} deliveries; replay at most ${MAX_RANGE_REPLAY} at a time`);
    this.name = 'ReplayRangeTooLargeError';
  }
}

/**
 * Outbox writes other than the ledger's: test sends, replays and endpoint-disabled notices, with their
 * event bodies typed. Each runs in the caller's transaction (`m`) and returns the new delivery ids; the
 * caller dispatches them after commit ({@link WebhookDispatcher.dispatchNew}).
 */
export const WebhookOutbox = {
  /** A `webhook.test` delivery to one endpoint (any status but deleted). */
  async createTest(m: EntityManager, endpointId: string, merchantId: string): Promise<string> {
    const snapshot: TestEventSnapshot = { endpointId, message: 'Test event sent from the Tollgate merchant API.' };
    return outbox.createTest(m, endpointId, merchantId, snapshot);
  },

  /**
   * A new delivery repeating `deliveryId` (same message id, snapshot and event time) on its endpoint.
   * @returns the new id, or null when the delivery does not belong to that endpoint and merchant.
   */
  async replayOne(m: EntityManager, merchantId: string, endpointId: string, deliveryId: string): Promise<string | null> {
    return outbox.replayOne(m, merchantId, endpointId, deliveryId);
  },

  /**
   * Replays the original (non-replay) deliveries of an endpoint whose event happened in `[since, until)`
   * and that ended `failed` — or also `succeeded` with `includeSucceeded`. Pending ones are still being
   * tried and are left alone.
   * @throws ReplayRangeTooLargeError when more than {@link MAX_RANGE_REPLAY} would be created.
   */
  async replayRange(
    m: EntityManager,
    merchantId: string,
    endpointId: string,
    range: { since: Date; until: Date; includeSucceeded: boolean },
  ): Promise<string[]> {
    const selected = { since: range.since, until: range.until, statuses: range.includeSucceeded ? ['failed' as const, 'succeeded' as const] : ['failed' as const] };
    const n = await outbox.countReplayable(m, merchantId, endpointId, selected);
    if (n > MAX_RANGE_REPLAY) throw new ReplayRangeTooLargeError(n);
    return outbox.replayRange(m, merchantId, endpointId, selected);
  },

  /** `webhook_endpoint.disabled` to the merchant's other live endpoints subscribed to it. */
  async notifyDisabled(m: EntityManager, merchantId: string, snapshot: EndpointDisabledSnapshot): Promise<string[]> {
    return outbox.notifyDisabled(m, merchantId, snapshot);
  },

  /** Fails every pending delivery of an endpoint (it was disabled or deleted); returns how many. */
  async cancelPending(m: EntityManager, endpointId: string, why: string): Promise<number> {
    return outbox.cancelPending(m, endpointId, why);
  },
};
