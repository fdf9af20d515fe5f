import { fetch, type Dispatcher, type Response } from 'undici';
import { parseRetryAfter } from './retry-schedule';

/** Characters of the response body kept per attempt. */
export const RESPONSE_BODY_LIMIT = 1024;
/** Bytes read from a response at most (the rest is discarded unread). */
const RESPONSE_READ_LIMIT = 4 * RESPONSE_BODY_LIMIT;

/** Outcome of one HTTP attempt. */
export interface SendResult {
  /** 2xx. */
  ok: boolean;
  /** Null when no response arrived. */
  statusCode: number | null;
  latencyMs: number;
  /** First {@link RESPONSE_BODY_LIMIT} characters of the body. */
  responseBody: string | null;
  /** Why the attempt failed (network error, timeout, redirect, non-2xx), null on success. */
  error: string | null;
  /** `Retry-After` of a failed response, in ms, if any. */
  retryAfterMs: number | null;
}

async function readTruncated(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  // Postgres text cannot hold NUL; a receiver's binary answer must not make the attempt unrecordable.
  return Buffer.concat(chunks).subarray(0, RESPONSE_READ_LIMIT).toString('utf8').replace(/\u0000/g, '').slice(0, RESPONSE_BODY_LIMIT);
}

/**
 * POSTs one webhook (undici fetch): bounded by `timeoutMs` (connect, headers and the truncated body
 * together), redirects not followed — a 3xx is a failed attempt, so a receiver cannot bounce a webhook
 * to another host. `dispatcher` is the URL policy's (see WebhookUrlPolicy.dispatcher), which re-checks the
 * addresses the socket connects to. Never throws.
 */
export async function sendWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number, dispatcher?: Dispatcher): Promise<SendResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const started = performance.now();
  const latency = () => Math.max(0, Math.round(performance.now() - started));
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'user-agent': 'Tollgate-Webhooks/1', ...headers }, body, redirect: 'manual', signal: controller.signal, dispatcher });
    const responseBody = await readTruncated(res).catch(() => '');
    const ok = res.status >= 200 && res.status < 300;
    let error: string | null = null;
    if (res.status >= 300 && res.status < 400) error = `redirect (${res.status}) not followed: webhooks must answer 2xx at the registered URL`;
    else if (!ok) error = `HTTP ${res.status}`;
    return {
      ok,
      statusCode: res.status,
      latencyMs: latency(),
      responseBody,
      error,
      retryAfterMs: ok ? null : parseRetryAfter(res.headers.get('retry-after')),
    };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const message = controller.signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : err.cause?.code === 'EWEBHOOKADDRESS'
        ? `refused: ${err.cause.message}`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, statusCode: null, latencyMs: latency(), responseBody: null, error: message.replace(/\u0000/g, '').slice(0, 500), retryAfterMs: null };
  } finally {
    clearTimeout(timer);
  }
}
