/**
 * The chaos run's client side: one payment driven as verify then settle over HTTP with a merchant key,
 * identical bodies retried on transport errors and 5xx until an answer or the give-up deadline.
 */
import { type SignedBody } from '../bench/sign';
import { type ClientOutcome } from './checks';
import { sleep } from './supervised';

export interface PaymentRun extends ClientOutcome {
  startedAt: number;
  endedAt?: number;
  verifyAttempts: number;
  settleAttempts: number;
  /** `verify_invalid:<reason>`, `settle_refused:<reason>`, `http_<status>`, `gave_up` … when not success. */
  outcome?: string;
  settleAnsweredAt?: number;
}

type Attempt = { kind: 'answer'; status: number; body: Record<string, unknown> } | { kind: 'retry'; why: string };

/** POSTs one body; 5xx, 429 and transport errors are "retry" (the identical body is sent again). */
async function post(url: string, apiKey: string, json: string): Promise<Attempt> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: json,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status >= 500 || res.status === 429) return { kind: 'retry', why: `http_${res.status}` };
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { kind: 'retry', why: 'unparsable' };
    }
    return { kind: 'answer', status: res.status, body };
  } catch (e) {
    return { kind: 'retry', why: (e as Error).name };
  }
}

/** Sends until answered, at most 60 tries within `giveUpMs`, backing off 100 ms → 2 s. */
async function postWithRetries(url: string, apiKey: string, json: string, giveUpMs: number, count: () => void, stop: () => boolean): Promise<Attempt> {
  const deadline = Date.now() + giveUpMs;
  let last: Attempt = { kind: 'retry', why: 'not sent' };
  for (let i = 0; i < 60 && Date.now() < deadline && !stop(); i++) {
    count();
    last = await post(url, apiKey, json);
    if (last.kind === 'answer') return last;
    await sleep(Math.min(2_000, 100 * 2 ** i));
  }
  return last;
}

export async function payOnce(apiUrl: string, apiKey: string, body: SignedBody, p: PaymentRun, stop: () => boolean): Promise<void> {
  const v = await postWithRetries(`${apiUrl}/verify`, apiKey, body.json, 120_000, () => p.verifyAttempts++, stop);
  if (v.kind !== 'answer') return void (p.outcome = `verify_gave_up:${v.why}`);
  if (v.status !== 200 || v.body.isValid !== true) return void (p.outcome = `verify_invalid:${String(v.body.invalidReason ?? `http_${v.status}`)}`);
  const s = await postWithRetries(`${apiUrl}/settle`, apiKey, body.json, 120_000, () => p.settleAttempts++, stop);
  p.settleAnsweredAt = Date.now();
  if (s.kind !== 'answer') return void (p.outcome = `settle_gave_up:${s.why}`);
  if (s.status === 200 && s.body.success === true) {
    p.answeredSuccess = true;
    p.outcome = 'success';
  } else p.outcome = `settle_refused:${String(s.body.errorReason ?? `http_${s.status}`)}`;
}
