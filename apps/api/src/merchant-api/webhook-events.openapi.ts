/**
 * The webhooks Tollgate sends to merchant endpoints (OpenAPI 3.1 `webhooks`), from the schemas in
 * @tollgate/webhooks that mirror what its payload builder writes. Every request is signed per Standard Webhooks.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { WEBHOOK_BODY_SCHEMAS } from '@tollgate/webhooks';
import type { RouteDocs } from '../openapi/openapi-kit';

const headers = z.object({
  'webhook-id': z.string().describe('msg_…: the message id, the same on every retry and replay (deduplicate on it)'),
  'webhook-timestamp': z.string().describe('unix seconds of this attempt'),
  'webhook-signature': z.string().describe('v1,<base64 HMAC-SHA256> entries separated by spaces (two during a secret rotation)'),
});

const receiverAnswer = { 200: { description: 'Any 2xx acknowledges; anything else (or no answer in time) is retried with backoff' } };

/** Documents the `payment.*`, `settlement.*`, `webhook_endpoint.disabled` and `webhook.test` webhooks. */
export const webhookEventsDocs: RouteDocs = (r: OpenAPIRegistry) => {
  const payment = r.register('PaymentWebhook', WEBHOOK_BODY_SCHEMAS.payment);
  const settlement = r.register('SettlementWebhook', WEBHOOK_BODY_SCHEMAS.settlement);
  const disabled = r.register('EndpointDisabledWebhook', WEBHOOK_BODY_SCHEMAS.endpointDisabled);
  const test = r.register('TestWebhook', WEBHOOK_BODY_SCHEMAS.test);
  const events: Array<[string, string, z.ZodTypeAny]> = [
    ['payment', 'A payment changed status: payment.queued, payment.included, payment.confirmed, payment.failed or payment.reorged', payment],
    ['settlement', 'An EVM batch carrying the merchant’s payments was included (settlement.included) or reached the confirmation depth (settlement.confirmed): one delivery listing that merchant’s payments in the batch (subscribe instead of per-payment events at volume)', settlement],
    ['webhook_endpoint.disabled', 'One of the merchant’s endpoints was disabled after sustained failure (sent to its other endpoints)', disabled],
    ['webhook.test', 'Sent by POST /v1/merchant/webhook-endpoints/{id}/test, whatever the endpoint subscribed to', test],
  ];
  for (const [name, summary, schema] of events) {
    r.registerWebhook({
      method: 'post',
      path: name,
      summary,
      request: { headers, body: { required: true, content: { 'application/json': { schema } } } },
      responses: receiverAnswer,
    });
  }
};
