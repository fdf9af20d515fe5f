// A webhook receiver: checks Tollgate's Standard Webhooks signature before trusting a delivery.
// Run: WEBHOOK_SECRET=whsec_… npx ts-node -T docs/examples/webhook-receiver.ts
import express from 'express';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET; // whsec_…, shown once by POST /v1/merchant/webhook-endpoints
if (!secret) throw new Error('set WEBHOOK_SECRET');
const webhook = new Webhook(secret);

interface PaymentEvent {
  type: string; // payment.queued, payment.included, payment.confirmed, payment.failed, payment.reorged
  data: { reference: string; status: string; amount: string; payTo: string; transaction: string | null };
}

const app = express();
// The signature covers the raw bytes: read the body as a Buffer, not as parsed JSON.
app.post('/webhooks/tollgate', express.raw({ type: 'application/json' }), (req, res) => {
  let event: PaymentEvent;
  try {
    event = webhook.verify(req.body, req.headers as Record<string, string>) as PaymentEvent;
  } catch {
    res.status(401).end(); // not signed by Tollgate with this secret (or too old): Tollgate retries
    return;
  }
  // `webhook-id` stays the same across retries and replays: deduplicate on it.
  console.log(`verified ${req.headers['webhook-id']} ${event.type} ${event.data.reference} ${event.data.status}`);
  res.status(204).end();
});
app.listen(Number(process.env.PORT ?? 4403), '127.0.0.1', () => {
  console.log(`webhook receiver on http://127.0.0.1:${process.env.PORT ?? 4403}/webhooks/tollgate`);
});
