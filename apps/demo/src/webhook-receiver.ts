import type { DataSource } from 'typeorm';

/** The demo merchant's webhook endpoint, as the summary sees it. */
export interface DemoWebhookReceiver {
  /** URL to register as the merchant's endpoint; undefined while Tollgate has no webhooks. */
  endpointUrl: string | undefined;
  /** Deliveries received so far, and how many of them carried a valid signature. */
  counts(): { received: number; verified: number };
  stop(): Promise<void>;
}

/**
 * SEAM (webhooks, built separately in libs/webhooks): the one place where the demo will start an HTTP
 * receiver for the demo merchant, register it as the merchant's webhook endpoint, verify each delivery's
 * Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the endpoint
 * secret, and count received and verified deliveries. Until then it registers nothing and reports zeros,
 * and the summary prints `webhooksReceived: 0`, `webhooksVerified: 0`.
 *
 * @param merchant the demo merchant the endpoint belongs to.
 * @param db Tollgate's database (endpoint registration will go through the webhooks library, not SQL here).
 */
export async function startWebhookReceiver(merchant: { id: string }, db: DataSource): Promise<DemoWebhookReceiver> {
  void merchant;
  void db;
  return { endpointUrl: undefined, counts: () => ({ received: 0, verified: 0 }), stop: async () => undefined };
}
