import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { PAYMENT_WEBHOOK_EVENT_TYPES } from '@tollgate/persistence';

/** What the demo merchant's endpoint subscribes to: every payment event. */
export const DEMO_WEBHOOK_EVENT_TYPES: readonly string[] = PAYMENT_WEBHOOK_EVENT_TYPES;

/** Largest body the receiver reads; Tollgate's payloads are about 1 KB. */
const MAX_BODY_BYTES = 256 * 1024;

/** What the receiver saw, as the summary reads it. */
export interface DemoWebhookReport {
  /** Deliveries that reached the endpoint's URL (every attempt counts). */
  received: number;
  /** Those whose Standard Webhooks signature `Webhook.verify` accepted with the endpoint's secret. */
  verified: number;
  /** Verified deliveries by event type (every subscribed type present, 0 when none arrived). */
  byType: Record<string, number>;
  /** Payment reference → event types of the verified deliveries about it. */
  eventsByReference: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The demo merchant's webhook endpoint and the HTTP receiver behind it. */
export interface DemoWebhookReceiver {
  /** The registered URL (plain http on 127.0.0.1, a per-run random path). */
  endpointUrl: string;
  /** Tollgate's id of the endpoint. */
  endpointId: string;
  report(): DemoWebhookReport;
  /**
   * Waits until a verified `type` delivery has arrived for every reference in `references`, or `timeoutMs`
   * passes (a deadline, polled in memory).
   * @returns the references still without one (empty when all arrived).
   */
  waitForEvent(references: readonly string[], type: string, timeoutMs: number): Promise<string[]>;
  /** Deletes the endpoint through the merchant API (best effort; its pending deliveries are failed, its log stays). */
  unregister(): Promise<void>;
  /** Stops the HTTP receiver. */
  close(): Promise<void>;
}

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Tollgate's base URL. */
  apiUrl: string;
  /** The demo merchant's API key (`tg_…`). */
  apiKey: string;
}

/**
 * Starts an HTTP receiver on a free port of 127.0.0.1 and registers it as the demo merchant's webhook
 * endpoint for every payment event — over HTTP, `POST /v1/merchant/webhook-endpoints` with the merchant's
 * key, exactly as a merchant would — keeping the `whsec_…` secret that answer carries (shown only once).
 *
 * Every request to the endpoint's path is a delivery: it is counted as received, verified with
 * `new Webhook(secret).verify(rawBody, headers)` from `standardwebhooks`, answered 204 when the signature
 * holds and 401 when not (so Tollgate retries it, as a real receiver would make it). Only verified
 * deliveries count by type and per payment reference. Requests to any other path answer 404 and are not
 * counted: the path carries a per-run random segment, so a stale retry from an earlier run's endpoint
 * that happens to reach this port is not mistaken for one of this run's deliveries.
 *
 * @throws Error with the API's answer when registration is refused (e.g. the URL policy rejects the URL).
 */
export async function startWebhookReceiver(opts: WebhookReceiverOptions): Promise<DemoWebhookReceiver> {
  const path = `/webhooks/${randomBytes(8).toString('hex')}`;
  let received = 0;
  let verified = 0;
  const byType: Record<string, number> = Object.fromEntries(DEMO_WEBHOOK_EVENT_TYPES.map((t) => [t, 0]));
  const eventsByReference = new Map<string, Set<string>>();

  // Deliveries cannot precede registration (the merchant has no payments yet), but a request that did
  // would wait for the secret rather than fail verification.
  let setSecret!: (s: string) => void;
  const secret = new Promise<string>((resolve) => (setSecret = resolve));

  const onDelivery = async (req: IncomingMessage, body: Buffer | null): Promise<number> => {
    received++;
    if (body === null) return 413;
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : (v ?? '');
    };
    let payload: { type?: unknown; data?: { reference?: unknown } };
    try {
      payload = new Webhook(await secret).verify(body.toString('utf8'), {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      }) as typeof payload;
    } catch {
      return 401;
    }
    verified++;
    const type = typeof payload?.type === 'string' ? payload.type : '(no type)';
    byType[type] = (byType[type] ?? 0) + 1;
    const reference = payload?.data?.reference;
    if (typeof reference === 'string') {
      let events = eventsByReference.get(reference);
      if (!events) eventsByReference.set(reference, (events = new Set()));
      events.add(type);
    }
    return 204;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 204 ? undefined : `${status}\n`);
    };
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== path) {
      req.resume();
      answer(404);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => void onDelivery(req, size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null).then(answer, () => answer(500)));
    req.on('error', () => answer(400));
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const api = (method: string, suffix: string, body?: unknown) =>
    fetch(`${opts.apiUrl}/v1/merchant/webhook-endpoints${suffix}`, {
      method,
      headers: { authorization: `Bearer ${opts.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  let endpointId: string;
  try {
    const res = await api('POST', '', { url: endpointUrl, eventTypes: DEMO_WEBHOOK_EVENT_TYPES, description: 'npm run demo receiver' });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`registering the demo webhook endpoint ${endpointUrl} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    const created = JSON.parse(text) as { id: string; secret: string };
    endpointId = created.id;
    setSecret(created.secret);
  } catch (e) {
    await close();
    throw e;
  }

  let unregistered: Promise<void> | undefined;
  return {
    endpointUrl,
    endpointId,
    report: () => ({ received, verified, byType: { ...byType }, eventsByReference }),
    async waitForEvent(references, type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = references.filter((r) => !eventsByReference.get(r)?.has(type));
        if (missing.length === 0 || Date.now() >= deadline) return missing;
        await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
      }
    },
    unregister: () =>
      (unregistered ??= api('DELETE', `/${endpointId}`).then(
        (res) => void res.body?.cancel(),
        () => undefined,
      )),
    close,
  };
}
