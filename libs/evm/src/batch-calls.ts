import { Address, decodeEventLog, encodeFunctionData, Hex, Log, parseSignature, size } from 'viem';
import { eip3009Abi, multicall3Abi } from './abis';

/** One authorization ready to be settled on chain. Amount in atomic units; times in unix seconds. */
export interface SettlementRow {
  paymentId: string;
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
  signature: Hex;
}

/**
 * Calldata of `transferWithAuthorization` for one row. 65-byte ECDSA signatures use the (v, r, s)
 * overload every EIP-3009 USDC version has; longer ones (ERC-1271 wallets) need the `bytes signature`
 * overload of FiatTokenV2_2.
 */
export function transferCalldata(row: SettlementRow): Hex {
  const base = [row.from, row.to, row.value, row.validAfter, row.validBefore, row.nonce] as const;
  if (size(row.signature) === 65) {
    const { r, s, v, yParity } = parseSignature(row.signature);
    return encodeFunctionData({
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [...base, Number(v ?? BigInt(yParity + 27)), r, s],
    });
  }
  return encodeFunctionData({ abi: eip3009Abi, functionName: 'transferWithAuthorization', args: [...base, row.signature] });
}

/**
 * The settlement call for a batch: a lone row goes straight to the token (≈ 85.8k gas, cheaper than a
 * multicall of one); several go through `Multicall3.aggregate3` with `allowFailure: true` so one bad
 * row (≈ 19.6k gas wasted) never reverts the others.
 */
export function batchCall(token: Address, multicall3: Address, rows: SettlementRow[]): { to: Address; data: Hex; kind: 'direct' | 'multicall' } {
  if (rows.length === 0) throw new Error('batchCall needs at least one row');
  if (rows.length === 1) return { to: token, data: transferCalldata(rows[0]), kind: 'direct' };
  return {
    to: multicall3,
    kind: 'multicall',
    data: encodeFunctionData({
      abi: multicall3Abi,
      functionName: 'aggregate3',
      args: [rows.map((r) => ({ target: token, allowFailure: true, callData: transferCalldata(r) }))],
    }),
  };
}

/** Key of an authorization: lower-case `from` + nonce. */
export const authorizationKey = (from: string, nonce: string): string => `${from.toLowerCase()}:${nonce.toLowerCase()}`;

/**
 * Which authorizations a receipt settled: `AuthorizationUsed(authorizer, nonce)` logs of `token`.
 * @returns map of {@link authorizationKey} → log index.
 */
export function authorizationsUsed(token: Address, logs: readonly Log[]): Map<string, number> {
  const used = new Map<string, number>();
  for (const log of logs) {
    if (log.address.toLowerCase() !== token.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: eip3009Abi, data: log.data, topics: log.topics });
      if (ev.eventName === 'AuthorizationUsed') used.set(authorizationKey(ev.args.authorizer, ev.args.nonce), log.logIndex ?? 0);
    } catch {
      // Not an event of ours (Transfer decodes fine; anything else is skipped).
    }
  }
  return used;
}
