import { EntityManager } from 'typeorm';
import { Address, BaseError, bytesToHex, Hex, hexToBytes, HttpRequestError, parseSignature, serializeTransaction, TransactionSerializableEIP1559 } from 'viem';
import { fastKeccak256 } from '@tollgate/evm';
import { RelayerTxPurpose } from '@tollgate/persistence';
import { Relayer, SettlementContext } from './settlement-context';

/** EIP-1559 fee pair in wei. */
export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** Nodes refuse a replacement that does not raise both fees by ≥ 10 %; we raise by 20 %. */
export const BUMP_PERCENT = 20n;

/** Current fees: 2 × base fee + priority tip, capped by TX_MAX_FEE_GWEI. */
export async function currentFees(ctx: SettlementContext, network: string): Promise<Fees> {
  const client = ctx.chains.get(network);
  const [block, tip] = await Promise.all([
    client.getBlock({ blockTag: 'latest' }),
    client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
  ]);
  const cap = feeCapWei(ctx);
  let maxFeePerGas = (block.baseFeePerGas ?? 0n) * 2n + tip;
  if (maxFeePerGas > cap) maxFeePerGas = cap;
  return { maxFeePerGas, maxPriorityFeePerGas: tip > maxFeePerGas ? maxFeePerGas : tip };
}

/** TX_MAX_FEE_GWEI in wei: the most Tollgate pays per unit of gas, first submissions and replacements alike. */
export function feeCapWei(ctx: SettlementContext): bigint {
  return BigInt(Math.floor(ctx.config.settlement.maxFeeGwei * 1e9));
}

/**
 * Fees for a replacement: ≥ previous + 20 % and ≥ current market, never above `capWei` (TX_MAX_FEE_GWEI,
 * wei per gas). Unbounded bidding at 15 s intervals reached any price within minutes (×1.2 each time);
 * at the cap the transaction waits for the base fee to come down instead.
 * @returns null when the cap leaves no room for a replacement a node would accept (both fees +10 %):
 *   the caller keeps the transaction it has (re-broadcasting it if the node forgot it).
 */
export function bumpedFees(previous: Fees, market: Fees): Fees;
export function bumpedFees(previous: Fees, market: Fees, capWei: bigint): Fees | null;
export function bumpedFees(previous: Fees, market: Fees, capWei?: bigint): Fees | null {
  const bump = (x: bigint) => (x * (100n + BUMP_PERCENT)) / 100n + 1n;
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  let maxPriorityFeePerGas = max(bump(previous.maxPriorityFeePerGas), market.maxPriorityFeePerGas);
  let maxFeePerGas = max(bump(previous.maxFeePerGas), market.maxFeePerGas);
  if (maxFeePerGas < maxPriorityFeePerGas) maxFeePerGas = maxPriorityFeePerGas;
  if (capWei !== undefined) {
    if (maxFeePerGas > capWei) maxFeePerGas = capWei;
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    // Nodes accept a replacement only when it raises both fees by at least 10 %.
    const accepted = (next: bigint, prev: bigint) => next * 10n >= prev * 11n && next > prev;
    if (!accepted(maxFeePerGas, previous.maxFeePerGas) || !accepted(maxPriorityFeePerGas, previous.maxPriorityFeePerGas)) return null;
  }
  return { maxFeePerGas, maxPriorityFeePerGas };
}

export interface SignedTx {
  hash: Hex;
  raw: Hex;
}

/** Signs an EIP-1559 transaction locally with the relayer key. */
export async function signTx(
  ctx: SettlementContext,
  relayer: Relayer,
  tx: { to: Address; data: Hex; gas: bigint; nonce: number; fees: Fees; value?: bigint },
): Promise<SignedTx> {
  const chainId = ctx.network(relayer.network).chainId;
  const unsigned: TransactionSerializableEIP1559 = {
    type: 'eip1559',
    chainId,
    to: tx.to,
    data: tx.data,
    gas: tx.gas,
    nonce: tx.nonce,
    value: tx.value ?? 0n,
    maxFeePerGas: tx.fees.maxFeePerGas,
    maxPriorityFeePerGas: tx.fees.maxPriorityFeePerGas,
  };
  // What account.signTransaction does, with both hashes of the ≈ 70 KB serialization of a 200-row batch
  // taken by the native Keccak (≈ 0.2 ms each where viem's pure JS takes ≈ 4 ms). Signatures are
  // deterministic (RFC 6979), so the result is byte-identical (tested).
  const signature = await relayer.account.sign({ hash: bytesToHex(fastKeccak256(hexToBytes(serializeTransaction(unsigned)))) });
  const raw = serializeTransaction(unsigned, parseSignature(signature));
  return { raw, hash: bytesToHex(fastKeccak256(hexToBytes(raw))) };
}

/** Stores a signed transaction (before it is broadcast: a crash after this loses nothing), in `m`'s transaction. */
export async function storeTx(
  ctx: SettlementContext,
  m: EntityManager,
  row: { batchId: string | null; network: string; relayer: string; nonce: number; purpose: RelayerTxPurpose; signed: SignedTx; gas: bigint; fees: Fees },
): Promise<void> {
  await ctx.repos.relayerTxs.insert(m, {
    batchId: row.batchId,
    network: row.network,
    relayer: row.relayer,
    nonce: row.nonce,
    purpose: row.purpose,
    txHash: row.signed.hash,
    rawTx: row.signed.raw,
    gasLimit: row.gas,
    maxFeePerGas: row.fees.maxFeePerGas,
    maxPriorityFeePerGas: row.fees.maxPriorityFeePerGas,
  });
}

export type BroadcastOutcome = 'sent' | 'known' | 'nonce-used' | 'underpriced';

/**
 * Broadcasts a stored raw transaction. Idempotent: "already known" counts as sent.
 * @throws RpcError classified transient / rate-limited / permanent.
 */
export async function broadcast(ctx: SettlementContext, network: string, raw: Hex, hash: Hex): Promise<BroadcastOutcome> {
  try {
    await ctx.chains.get(network).sendRawTransaction({ serializedTransaction: raw });
    await ctx.repos.relayerTxs.markBroadcast(hash);
    return 'sent';
  } catch (e) {
    const msg = errorText(e);
    if (/already known|already imported|known transaction|transaction already exists/i.test(msg)) return 'known';
    if (/nonce too low|nonce has already been used|invalid nonce/i.test(msg)) return 'nonce-used';
    if (/underpriced|fee too low|replacement/i.test(msg)) return 'underpriced';
    throw classifyRpcError(e);
  }
}

/** An RPC failure with what the caller should do about it. */
export class RpcError extends Error {
  constructor(
    readonly kind: 'transient' | 'rate-limited' | 'permanent',
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Transient: network/5xx/timeouts (retry with backoff); rate-limited: 429 (back off); else permanent. */
export function classifyRpcError(e: unknown): RpcError {
  const msg = errorText(e);
  // viem's HttpRequestError keeps the HTTP status in `status`; its text is only "HTTP request failed."
  // (so a 429 used to read as transient and a 401 — a bad RPC key — as worth retrying).
  const status = httpStatus(e);
  if (status === 429) return new RpcError('rate-limited', `${msg} (HTTP 429)`);
  if (status !== undefined) return new RpcError(status >= 500 || status === 408 ? 'transient' : 'permanent', `${msg} (HTTP ${status})`);
  if (/\b429\b|rate limit|too many requests/i.test(msg)) return new RpcError('rate-limited', msg);
  // Status codes only as whole numbers: hashes and addresses in a revert message are full of "50x".
  if (/timeout|timed out|ECONNREFUSED|ECONNRESET|socket|fetch failed|HTTP request failed|\b50[0-9]\b|network/i.test(msg)) return new RpcError('transient', msg);
  return new RpcError('permanent', msg);
}

/** HTTP status of the first viem HttpRequestError in the cause chain, if any. */
function httpStatus(e: unknown): number | undefined {
  const found = e instanceof BaseError ? e.walk((x) => x instanceof HttpRequestError && typeof x.status === 'number') : null;
  return found instanceof HttpRequestError ? found.status : undefined;
}

function errorText(e: unknown): string {
  if (e instanceof BaseError) return `${e.shortMessage} ${e.details ?? ''}`;
  return e instanceof Error ? e.message : String(e);
}
