import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Standard Webhooks secret prefix; the rest is base64 of the key. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (the format `standardwebhooks` expects). */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers (plus content type). */
export interface WebhookHeaders {
  'content-type': 'application/json';
  'webhook-id': string;
  /** Unix seconds of this attempt. */
  'webhook-timestamp': string;
  /** Space-separated `v1,<base64>` signatures, one per active secret. */
  'webhook-signature': string;
}

/**
 * Signs one attempt with every active secret (the current one first, then a rotated-out secret still
 * inside its overlap), so receivers holding either secret can verify.
 */
export function signWebhook(msg: { id: string; timestamp: Date; body: string }, secrets: readonly string[]): WebhookHeaders {
  if (secrets.length === 0) throw new Error('no signing secret');
  const signatures = secrets.map((s) => new Webhook(s).sign(msg.id, msg.timestamp, msg.body));
  return {
    'content-type': 'application/json',
    'webhook-id': msg.id,
    'webhook-timestamp': String(Math.floor(msg.timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
