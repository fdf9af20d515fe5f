import { canTransitionDelivery, WebhookDeliveryStatus } from './webhook-delivery-status';
import { checkEdges, conditionalStatusUpdate, StatusRunner } from '../status-writer';

/** Columns a delivery transition may set besides `status` (completion columns are always set). */
export interface WebhookDeliveryPatch {
  attempt_count?: number;
  last_status_code?: number | null;
  last_error?: string | null;
}

const PATCHABLE = new Set<string>(['attempt_count', 'last_status_code', 'last_error']);

/**
 * The only writer of webhook delivery status: one conditional UPDATE (`AND status = ANY($from)`), edges
 * checked against WEBHOOK_DELIVERY_TRANSITIONS. Every edge ends a delivery, so each also sets
 * `completed_at = now(), locked_until = NULL, updated_at = now()`. The per-attempt log is
 * webhook_attempts (written by the deliverer); there is no status history table.
 */
export class WebhookDeliveryStore {
  /**
   * Moves one delivery (`id`) or every delivery of an endpoint (`endpointId`) from one of `from` to `to`;
   * `from` may contain `to` to re-record an outcome (e.g. a late attempt result of a cancelled delivery).
   * @returns the ids that moved; empty when none was in `from`.
   */
  async transition(
    runner: StatusRunner,
    sel: { id: string } | { endpointId: string },
    from: WebhookDeliveryStatus | readonly WebhookDeliveryStatus[],
    to: WebhookDeliveryStatus,
    patch: WebhookDeliveryPatch = {},
  ): Promise<string[]> {
    const fromList: readonly WebhookDeliveryStatus[] = typeof from === 'string' ? [from] : from;
    checkEdges('webhook delivery', fromList, to, canTransitionDelivery);
    return conditionalStatusUpdate(
      runner,
      { table: 'webhook_deliveries', key: 'id', patchable: PATCHABLE, always: ['completed_at = now()', 'locked_until = NULL', 'updated_at = now()'] },
      (bind) => ('id' in sel ? `id = ${bind(sel.id)}` : `endpoint_id = ${bind(sel.endpointId)}`),
      fromList,
      to,
      patch as Record<string, unknown>,
    );
  }
}
