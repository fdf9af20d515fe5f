/// <reference path="./x402-modules.d.ts" />
import type { KeyPairSigner } from '@solana/kit';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment, x402Client } from '@x402/fetch';
import { ExactSvmScheme } from '@x402/svm/exact/client';
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
  /** The network the client was asked to pay on (CAIP-2). */
  network: string;
  /** The paying wallet on that network: a 0x address or a base58 Solana address. */
  payer: string;
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

/** A token the client agrees to pay with, and the most it pays per request (atomic units). */
export interface AllowedAsset {
  /** CAIP-2 (`eip155:…` or `solana:…`). */
  network: string;
  /** Token contract (0x) or SPL mint (base58). */
  asset: string;
  maxAmountPerPayment: string;
}

/** One buyer's wallets: an EVM key for `eip155` networks, a Solana signer for `solana` networks (either may be absent). */
export interface BuyerWallets {
  evm?: { network: `eip155:${number}`; privateKey: Hex };
  svm?: { network: string; signer: KeyPairSigner; /** The Solana RPC the client reads the mint and a blockhash from. */ rpcUrl: string };
}

/** Options of {@link runPayingClient}. */
export interface PayingClientOptions {
  /** Resource server base URL. */
  baseUrl: string;
  /** Paths to request, used round-robin. */
  paths: readonly string[];
  /** Networks to pay on, used round-robin (request i pays on networks[i % n]); each needs a wallet in every buyer. */
  networks: readonly string[];
  /** Buyers, used round-robin within each network (each gets its own x402 client per network). */
  buyers: readonly BuyerWallets[];
  allowedAssets: readonly AllowedAsset[];
  count: number;
  concurrency: number;
  /** Called as each request finishes (progress). */
  onResult?: (r: PaidRequestResult) => void;
  /** Aborts requests in flight and starts no new ones (Ctrl+C). */
  signal?: AbortSignal;
}

/**
 * A paying fetch for one buyer: the official `@x402/fetch` wrapper around a stock `x402Client` with every
 * scheme the buyer has a wallet for (`ExactEvmScheme` from `@x402/evm`, `ExactSvmScheme` from `@x402/svm`
 * with the devchain's RPC URL). When a route accepts several networks, `payOn` is a client policy that keeps
 * only that network's requirements (without it the client takes the first it can pay). The client's spend
 * controls only pass tokens the SDK knows (mainnet and testnet USDC); the devchain tokens are allowed
 * explicitly, with a per-payment cap, as a careful buyer would.
 */
export function payingFetch(wallets: BuyerWallets, allowed: readonly AllowedAsset[], payOn?: string): typeof fetch {
  const schemes = [
    ...(wallets.evm ? [{ network: wallets.evm.network, client: new ExactEvmScheme(privateKeyToAccount(wallets.evm.privateKey)) }] : []),
    ...(wallets.svm ? [{ network: wallets.svm.network as `solana:${string}`, client: new ExactSvmScheme(wallets.svm.signer, { rpcUrl: wallets.svm.rpcUrl }) }] : []),
  ];
  const client = x402Client.fromConfig({
    schemes,
    policies: payOn ? [(_version, requirements) => requirements.filter((r) => r.network === payOn)] : [],
    spendControls: { allowedAssets: allowed.map((a) => ({ ...a, network: a.network as `${string}:${string}` })) },
  });
  return wrapFetchWithPayment(fetch, client);
}

/** The buyer's address on `network`. */
function payerAddress(wallets: BuyerWallets, network: string): string {
  if (wallets.evm?.network === network) return privateKeyToAccount(wallets.evm.privateKey).address;
  if (wallets.svm?.network === network) return wallets.svm.signer.address;
  throw new Error(`runPayingClient: a buyer has no wallet on ${network}`);
}

/**
 * Makes `count` paid GET requests, at most `concurrency` at a time, spread over networks, buyers and paths.
 * Never throws for a failed request: each outcome is recorded, so the summary can count and explain failures.
 */
export async function runPayingClient(opts: PayingClientOptions): Promise<PaidRequestResult[]> {
  if (opts.buyers.length === 0) throw new Error('runPayingClient: no buyers');
  if (opts.paths.length === 0) throw new Error('runPayingClient: no paths');
  if (opts.networks.length === 0) throw new Error('runPayingClient: no networks');
  const payers = opts.networks.map((network) =>
    opts.buyers.map((w) => ({ address: payerAddress(w, network), fetch: payingFetch(w, opts.allowedAssets, network) })),
  );
  const results: PaidRequestResult[] = new Array(opts.count);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < opts.count && !opts.signal?.aborted; i = next++) {
      const n = i % opts.networks.length;
      const round = Math.floor(i / opts.networks.length);
      const payer = payers[n][round % opts.buyers.length];
      const path = opts.paths[round % opts.paths.length];
      results[i] = await payOnce(i, `${opts.baseUrl}${path}`, path, opts.networks[n], payer, opts.signal);
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
  network: string,
  payer: { address: string; fetch: typeof fetch },
  signal: AbortSignal | undefined,
): Promise<PaidRequestResult> {
  const startedAt = Date.now();
  const base = { index, path, network, payer: payer.address, startedAt };
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
