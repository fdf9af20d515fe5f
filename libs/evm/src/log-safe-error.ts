import { BaseError, HttpRequestError, RpcRequestError, TimeoutError } from 'viem';

type RpcFailure = HttpRequestError | RpcRequestError | TimeoutError;

function rpcFailureIn(e: unknown): RpcFailure | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 10 && cur; i++) {
    if (cur instanceof HttpRequestError || cur instanceof RpcRequestError || cur instanceof TimeoutError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * One line describing an error that is safe to log. viem's messages carry the request body (signed
 * authorizations, aggregate3 calldata) and the RPC URL (often with the provider's API key), so an RPC
 * failure anywhere in the cause chain becomes `RPC <method> at <scheme://host> failed: <ErrorClass>`
 * (+ HTTP status or JSON-RPC code); any other viem error keeps only its name and first line; other errors
 * their name and message, cut to 300 characters.
 */
export function logSafeError(e: unknown): string {
  const rpc = rpcFailureIn(e);
  if (rpc) {
    const tagged = (rpc as { rpcMethod?: unknown }).rpcMethod ?? ((rpc as { body?: { method?: unknown } }).body ?? {}).method;
    const method = typeof tagged === 'string' ? tagged : 'request';
    const extra = rpc instanceof HttpRequestError && rpc.status ? ` (HTTP ${rpc.status})` : rpc instanceof RpcRequestError ? ` (code ${rpc.code})` : '';
    return `RPC ${method} at ${endpointOf(rpc.url)} failed: ${rpc.name}${extra}`;
  }
  if (e instanceof BaseError) return `${e.name}: ${firstLine(e.shortMessage)}`;
  if (e instanceof Error) return `${e.name}: ${firstLine(e.message)}`;
  return String(e).slice(0, 300);
}

function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '[RPC endpoint]';
  }
}

function firstLine(s: string): string {
  // viem's details follow the first line ("URL: …", "Request body: …", "Raw Call Arguments: …").
  return (s.split('\n')[0] ?? '').replace(/0x[0-9a-fA-F]{130,}/g, '0x…').slice(0, 300);
}

/** pino serializer for `err`: the same reduction, so an error object logged whole cannot leak either. */
export function logSafeErrorSerializer(e: unknown): { type: string; message: string } {
  return { type: e instanceof Error ? e.name : typeof e, message: logSafeError(e) };
}
