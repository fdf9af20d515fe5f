import { eventually } from './poll';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with what `standardwebhooks` made of its signature. */
export interface ReceivedWebhook {
  /** 1-based arrival number. */
  n: number;
  at: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Parsed JSON body (null when not JSON). */
  payload: any;
  /** Index (in `secrets` at arrival time) of every secret `Webhook.verify` accepted; empty = unverified. */
  verifiedBy: number[];
  /** Status the receiver answered. */
  status: number;
}

/** How to answer request number `n`. */
export type Responder = (req: ReceivedWebhook) => { status: number; headers?: Record<string, string>; body?: string };

/** A real HTTP webhook receiver on 127.0.0.1 verifying every request with `standardwebhooks`. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Secrets to verify with; set them as the API returns them. */
  secrets: string[];
  /** Replaces the answer policy (default: 200 "ok"). */
  respond(fn: Responder): void;
  /** Polls until `predicate(received)` holds or `timeoutMs` passes; returns the requests. */
  waitFor(what: string, predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

function verifiedBy(secrets: string[], body: string, headers: Record<string, string>): number[] {
  const ok: number[] = [];
  secrets.forEach((s, i) => {
    try {
      new Webhook(s).verify(body, headers);
      ok.push(i);
    } catch {
      // not this secret
    }
  });
  return ok;
}

/** Starts a receiver on a free loopback port. */
export async function startWebhookReceiver(opts: { path?: string; respond?: Responder } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let responder: Responder = opts.respond ?? (() => ({ status: 200, body: 'ok' }));
  const receiver = {} as WebhookReceiver;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      let payload: unknown = null;
      try {
        payload = JSON.parse(body);
      } catch {
        // not JSON
      }
      const r: ReceivedWebhook = {
        n: received.length + 1,
        at: Date.now(),
        path: req.url ?? '',
        headers,
        body,
        payload,
        verifiedBy: verifiedBy(receiver.secrets, body, headers),
        status: 0,
      };
      const answer = responder(r);
      r.status = answer.status;
      received.push(r);
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(receiver, {
    url: `http://127.0.0.1:${port}${opts.path ?? '/webhooks'}`,
    received,
    secrets: [] as string[],
    respond(fn: Responder) {
      responder = fn;
    },
    async waitFor(what: string, predicate: (r: ReceivedWebhook[]) => boolean, timeoutMs = 15_000) {
      return eventually(what, () => (predicate(received) ? received : undefined), timeoutMs, () =>
        JSON.stringify(received.map((r) => ({ n: r.n, type: r.payload?.type, status: r.status }))),
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  server.keepAliveTimeout = 1000;
  return receiver;
}
