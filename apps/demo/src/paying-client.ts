/// <reference path="./x402-modules.d.ts" />
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment, x402Client } from '@x402/fetch';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** The `PAYMENT-RESPONSE` receipt the resource server returned, as the official client decodes it. */
export interface Receipt {
  success: boolean;
  transaction: string;
  network: string;
  payer?: string;
  errorReason?: string;
  /** Tollgate's per-payment reference (`extensions.tollgate.reference`). */
  reference?: string;
}

/** What happened to one paid request. Times are epoch milliseconds. */
export interface PaidRequestResult {
  index: number;
  path: string;
  payer: `0x${string}`;
  startedAt: number;
  finishedAt: number;
  /** HTTP status of the final response; null when the request threw. */
  status: number | null;
  /** True when the paid content arrived (HTTP 200 with the route's JSON). */
  contentOk: boolean;
  receipt?: Receipt;
  /** Why the request did not get its content: the x402 error reason, or the thrown message. */
  error?: string;
}

/** The one token the client agrees to pay with, and the most it pays per request (atomic units). */
export interface AllowedAsset {
  network: `eip155:${number}`;
  asset: `0x${string}`;
  maxAmountPerPayment: string;
}

/** Options of {@link runPayingClient}. */
export interface PayingClientOptions {
  /** Resource server base URL. */
  baseUrl: string;
  /** Paths to request, used round-robin. */
  paths: readonly string[];
  /** Payer private keys, used round-robin (each gets its own x402 client). */
  payerKeys: readonly Hex[];
  allowedAsset: AllowedAsset;
  count: number;
  concurrency: number;
  /** Called as each request finishes (progress). */
  onResult?: (r: PaidRequestResult) => void;
  /** Aborts requests in flight and starts no new ones (Ctrl+C). */
  signal?: AbortSignal;
}

/**
 * A paying fetch for one payer: the official `@x402/fetch` wrapper around a stock `x402Client` with the
 * exact EVM scheme. The client's spend controls only pass tokens the SDK knows (mainnet and testnet USDC);
 * the devchain token is allowed explicitly, with a per-payment cap, as a careful buyer would.
 */
export function payingFetch(payerKey: Hex, allowed: AllowedAsset): typeof fetch {
  const client = x402Client.fromConfig({
    schemes: [{ network: allowed.network, client: new ExactEvmScheme(privateKeyToAccount(payerKey)) }],
    spendControls: { allowedAssets: [allowed] },
  });
  return wrapFetchWithPayment(fetch, client);
}

/**
 * Makes `count` paid GET requests, at most `concurrency` at a time, spread over payers and paths. Never
 * throws for a failed request: each outcome is recorded, so the summary can count and explain failures.
 */
export async function runPayingClient(opts: PayingClientOptions): Promise<PaidRequestResult[]> {
  if (opts.payerKeys.length === 0) throw new Error('runPayingClient: no payer keys');
  if (opts.paths.length === 0) throw new Error('runPayingClient: no paths');
  const payers = opts.payerKeys.map((key) => ({ address: privateKeyToAccount(key).address, fetch: payingFetch(key, opts.allowedAsset) }));
  const results: PaidRequestResult[] = new Array(opts.count);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < opts.count && !opts.signal?.aborted; i = next++) {
      const payer = payers[i % payers.length];
      const path = opts.paths[i % opts.paths.length];
      results[i] = await payOnce(i, `${opts.baseUrl}${path}`, path, payer, opts.signal);
      opts.onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, opts.count)) }, lane));
  return results.filter((r) => r !== undefined);
}

async function payOnce(
  index: number,
  url: string,
  path: string,
  payer: { address: `0x${string}`; fetch: typeof fetch },
  signal: AbortSignal | undefined,
): Promise<PaidRequestResult> {
  const startedAt = Date.now();
  const base = { index, path, payer: payer.address, startedAt };
  try {
    const res = await payer.fetch(url, { signal });
    const text = await res.text();
    const receipt = readReceipt(res.headers.get('PAYMENT-RESPONSE'));
    const contentOk = res.status === 200 && isRouteContent(text, path);
    const error = contentOk ? undefined : failureReason(res, text, receipt);
    return { ...base, finishedAt: Date.now(), status: res.status, contentOk, receipt, error };
  } catch (e) {
    return { ...base, finishedAt: Date.now(), status: null, contentOk: false, error: (e as Error).message };
  }
}

function isRouteContent(text: string, path: string): boolean {
  try {
    const body = JSON.parse(text) as { route?: unknown; paid?: unknown };
    return body.route === path && body.paid === true;
  } catch {
    return false;
  }
}

function readReceipt(header: string | null): Receipt | undefined {
  if (!header) return undefined;
  const r = decodePaymentResponseHeader(header);
  const tollgate = (r.extensions as { tollgate?: { reference?: unknown } } | undefined)?.tollgate;
  return {
    success: r.success,
    transaction: r.transaction,
    network: r.network,
    payer: r.payer,
    errorReason: r.errorReason,
    reference: typeof tollgate?.reference === 'string' ? tollgate.reference : undefined,
  };
}

/** The middleware puts the reason of a refused payment in the 402's `PAYMENT-REQUIRED` header (`error`). */
function failureReason(res: Response, text: string, receipt: Receipt | undefined): string {
  if (receipt?.errorReason) return receipt.errorReason;
  const required = res.headers.get('PAYMENT-REQUIRED');
  if (required) {
    try {
      const error = decodePaymentRequiredHeader(required).error;
      if (error) return error;
    } catch {
      // fall through to the body
    }
  }
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 120)}` : ''}`;
}
