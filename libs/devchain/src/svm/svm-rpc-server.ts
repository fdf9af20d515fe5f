import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { address as toAddress, getBase64Encoder, type Address } from '@solana/kit';
import { base58, type SvmChain } from './svm-chain';

/** A JSON-RPC failure with Solana's error code. */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const INVALID_PARAMS = -32602;
const METHOD_NOT_FOUND = -32601;
const SEND_PREFLIGHT_FAILURE = -32002;
const U64_MAX = 18446744073709551615n;

type Params = unknown[];
type Handler = (chain: SvmChain, params: Params) => unknown;

function str(params: Params, i: number, what: string): string {
  const v = params[i];
  if (typeof v !== 'string') throw new RpcError(INVALID_PARAMS, `Invalid params: ${what} must be a string`);
  return v;
}

function addr(params: Params, i: number): Address {
  try {
    return toAddress(str(params, i, 'address'));
  } catch {
    throw new RpcError(INVALID_PARAMS, 'Invalid param: Invalid');
  }
}

function wireTransaction(chain: SvmChain, params: Params) {
  const config = (params[1] ?? {}) as { encoding?: string };
  if (config.encoding !== undefined && config.encoding !== 'base64') {
    throw new RpcError(INVALID_PARAMS, 'Invalid params: the devchain accepts base64 transactions only');
  }
  try {
    return chain.decode(new Uint8Array(getBase64Encoder().encode(str(params, 0, 'transaction'))));
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw new RpcError(INVALID_PARAMS, `invalid transaction: ${(err as Error).message}`);
  }
}

function withContext(chain: SvmChain, value: unknown) {
  return { context: { apiVersion: '2.2.0', slot: chain.slot }, value };
}

/** `{context, value}` of a token account balance, or null when the account is no SPL token account. */
function tokenBalance(chain: SvmChain, account: Address) {
  const acc = chain.svm.getAccount(account);
  if (!acc.exists || acc.data.length < 72) throw new RpcError(INVALID_PARAMS, 'Invalid param: could not find account');
  const data = Buffer.from(acc.data);
  const mint = chain.svm.getAccount(toAddress(base58.encode(data.subarray(0, 32))));
  const decimals = mint.exists ? mint.data[44] : 0;
  const amount = data.readBigUInt64LE(64);
  const ui = Number(amount) / 10 ** decimals;
  return { amount: amount.toString(), decimals, uiAmount: ui, uiAmountString: ui.toString() };
}

const HANDLERS: Record<string, Handler> = {
  getHealth: () => 'ok',
  getVersion: () => ({ 'solana-core': '2.2.0', 'feature-set': 0 }),
  getSlot: (chain) => chain.slot,
  getBlockHeight: (chain) => chain.slot,
  getLatestBlockhash: (chain) => withContext(chain, chain.latestBlockhash()),
  isBlockhashValid: (chain, p) => withContext(chain, chain.isBlockhashValid(str(p, 0, 'blockhash'))),
  getMinimumBalanceForRentExemption: (chain, p) => chain.svm.minimumBalanceForRentExemption(BigInt(Number(p[0] ?? 0))),
  getBalance: (chain, p) => withContext(chain, chain.svm.getBalance(addr(p, 0)) ?? 0n),
  getAccountInfo: (chain, p) => {
    const acc = chain.svm.getAccount(addr(p, 0));
    if (!acc.exists) return withContext(chain, null);
    return withContext(chain, {
      data: [Buffer.from(acc.data).toString('base64'), 'base64'],
      executable: acc.executable,
      lamports: acc.lamports,
      owner: acc.programAddress,
      rentEpoch: U64_MAX,
      space: acc.data.length,
    });
  },
  getTokenAccountBalance: (chain, p) => withContext(chain, tokenBalance(chain, addr(p, 0))),
  getSignatureStatuses: (chain, p) => {
    const sigs = p[0];
    if (!Array.isArray(sigs)) throw new RpcError(INVALID_PARAMS, 'Invalid params: expected an array of signatures');
    return withContext(
      chain,
      sigs.map((s) => {
        const st = typeof s === 'string' ? chain.status(s) : undefined;
        if (!st) return null;
        const status = st.err === null ? { Ok: null } : { Err: st.err };
        const commitment = chain.commitmentOf(st);
        return { slot: st.slot, confirmations: commitment === 'finalized' ? null : Number(chain.slot - st.slot), err: st.err, status, confirmationStatus: commitment };
      }),
    );
  },
  getTransaction: () => null,
  simulateTransaction: (chain, p) => {
    // As on a Solana node: `replaceRecentBlockhash` runs the transaction on the latest blockhash and reports
    // it (compute-unit estimators simulate before they fetch one), and excludes `sigVerify`.
    const config = (p[1] ?? {}) as { replaceRecentBlockhash?: boolean; sigVerify?: boolean };
    if (config.replaceRecentBlockhash && config.sigVerify) throw new RpcError(INVALID_PARAMS, 'sigVerify may not be used with replaceRecentBlockhash');
    const tx = wireTransaction(chain, p);
    const replacement = config.replaceRecentBlockhash ? chain.latestBlockhash() : null;
    const sim = chain.simulate(replacement ? chain.withLatestBlockhash(tx) : tx);
    return withContext(chain, {
      err: sim.err,
      logs: sim.logs,
      accounts: null,
      unitsConsumed: sim.unitsConsumed,
      returnData: null,
      innerInstructions: null,
      replacementBlockhash: replacement,
    });
  },
  sendTransaction: (chain, p) => {
    const tx = wireTransaction(chain, p);
    const config = (p[1] ?? {}) as { skipPreflight?: boolean };
    if (!config.skipPreflight) {
      const sim = chain.simulate(tx);
      if (sim.err !== null) {
        throw new RpcError(SEND_PREFLIGHT_FAILURE, `Transaction simulation failed: ${JSON.stringify(sim.err)}`, {
          err: sim.err,
          logs: sim.logs,
          accounts: null,
          unitsConsumed: sim.unitsConsumed,
          returnData: null,
        });
      }
    }
    const out = chain.send(tx);
    if (out.err === 'SignatureFailure') throw new RpcError(-32003, 'Transaction signature verification failure');
    // Dropped transactions (stale blockhash, duplicate) still answer their signature, as on Solana with
    // skipPreflight: the sender learns of the drop only by never seeing a status.
    return out.signature;
  },
  devchain_advanceSlots: (chain, p) => {
    const n = Number(p[0] ?? 1);
    if (!Number.isSafeInteger(n) || n < 0) throw new RpcError(INVALID_PARAMS, 'Invalid params: slots must be a non-negative integer');
    chain.advanceSlots(BigInt(n));
    return chain.slot;
  },
  devchain_expireBlockhash: (chain) => {
    chain.expireBlockhash();
    return chain.latestBlockhash();
  },
  devchain_setFinalitySlots: (chain, p) => {
    const n = Number(p[0] ?? 0);
    if (!Number.isSafeInteger(n) || n < 0) throw new RpcError(INVALID_PARAMS, 'Invalid params: slots must be a non-negative integer');
    chain.finalitySlots = BigInt(n);
    return n;
  },
  devchain_dropTransaction: (chain, p) => chain.dropTransaction(str(p, 0, 'signature')),
};

/** JSON with bigints as bare numbers (Solana's u64 fields), which @solana/kit parses back losslessly. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `__u64__${v}__` : v)).replace(/"__u64__(\d+)__"/g, '$1');
}

function answer(chain: SvmChain, req: unknown): unknown {
  const r = (req ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
  const id = r.id ?? null;
  const handler = typeof r.method === 'string' && Object.hasOwn(HANDLERS, r.method) ? HANDLERS[r.method] : undefined;
  try {
    if (!handler) throw new RpcError(METHOD_NOT_FOUND, 'Method not found');
    return { jsonrpc: '2.0', id, result: handler(chain, Array.isArray(r.params) ? r.params : []) };
  } catch (err) {
    const e = err instanceof RpcError ? err : new RpcError(-32603, `Internal error: ${(err as Error).message}`);
    return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
  }
}

function handle(chain: SvmChain, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    const out = Array.isArray(body) ? body.map((b) => answer(chain, b)) : answer(chain, body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(stringify(out));
  });
}

/** A running JSON-RPC server. */
export interface SvmRpcServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `chain` over Solana's HTTP JSON-RPC 2.0 on `host:port` (port 0: a free one). Methods: the reads
 * and writes @solana/kit, `@x402/svm` and Tollgate use, answered in Solana's exact shapes, plus
 * `devchain_advanceSlots([n])`, `devchain_expireBlockhash([])`, `devchain_setFinalitySlots([n])` (landed
 * transactions report `confirmed` until n slots passed) and `devchain_dropTransaction([signature])` (a fork
 * forgets a landed transaction and undoes it) for tests.
 */
export async function serveSvmRpc(chain: SvmChain, port = 0, host = '127.0.0.1'): Promise<SvmRpcServer> {
  const server: Server = createServer((req, res) => handle(chain, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
