import { Address, Hex, Log, toEventSelector, toFunctionSelector } from 'viem';
import { HEX_BYTES32, addressWord, bytes32Word, uintWord } from './abi-words';
import { encodeAggregate3 } from './aggregate3-codec';
import { transferWithAuthorizationCalldata } from './authorization-reads';

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

const TRANSFER_WITH_AUTHORIZATION_VRS = toFunctionSelector(
  'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
);
const HEX_SIGNATURE_65 = /^0x[0-9a-fA-F]{130}$/;

/**
 * Calldata of `transferWithAuthorization` for one row. 65-byte ECDSA signatures use the (v, r, s)
 * overload every EIP-3009 USDC version has (`v` 27/28; a 0/1 recovery byte is taken as 27/28); longer
 * ones (ERC-1271 wallets) need the `bytes signature` overload of FiatTokenV2_2. Encoded by hand (static
 * words; property-tested against viem's encodeFunctionData): a 200-row batch is encoded for the
 * simulation and again for the transaction.
 * @throws TypeError / RangeError for fields that are not addresses, bytes32 or uint256.
 */
export function transferCalldata(row: SettlementRow): Hex {
  if (!HEX_SIGNATURE_65.test(row.signature)) return transferWithAuthorizationCalldata(row, row.signature);
  const sig = row.signature.slice(2).toLowerCase();
  let v = parseInt(sig.slice(128, 130), 16);
  if (v === 0 || v === 1) v += 27;
  return `${TRANSFER_WITH_AUTHORIZATION_VRS}${addressWord(row.from)}${addressWord(row.to)}${uintWord(row.value)}${uintWord(row.validAfter)}${uintWord(row.validBefore)}${bytes32Word(row.nonce)}${uintWord(BigInt(v))}${sig.slice(0, 64)}${sig.slice(64, 128)}`;
}

/**
 * The settlement call for a batch: a lone row goes straight to the token (≈ 85.8k gas, cheaper than a
 * multicall of one); several go through `Multicall3.aggregate3` with `allowFailure: true` so one bad
 * row (≈ 19.6k gas wasted) never reverts the others.
 */
export function batchCall(token: Address, multicall3: Address, rows: SettlementRow[]): { to: Address; data: Hex; kind: 'direct' | 'multicall' } {
  if (rows.length === 0) throw new Error('batchCall needs at least one row');
  if (rows.length === 1) return { to: token, data: transferCalldata(rows[0]), kind: 'direct' };
  return { to: multicall3, kind: 'multicall', data: encodeAggregate3(rows.map((r) => ({ target: token, allowFailure: true, callData: transferCalldata(r) }))) };
}

/** Key of an authorization: lower-case `from` + nonce. */
export const authorizationKey = (from: string, nonce: string): string => `${from.toLowerCase()}:${nonce.toLowerCase()}`;

/** topic0 of `AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)` (EIP-3009). */
const AUTHORIZATION_USED_TOPIC = toEventSelector('AuthorizationUsed(address,bytes32)');

/**
 * Which authorizations a receipt settled: `AuthorizationUsed(authorizer, nonce)` logs of `token`. Both
 * fields are indexed, so they are read from the topics (a 200-row receipt carries 400 logs).
 * @returns map of {@link authorizationKey} → log index.
 */
export function authorizationsUsed(token: Address, logs: readonly Log[]): Map<string, number> {
  const used = new Map<string, number>();
  const tokenLower = token.toLowerCase();
  for (const log of logs) {
    if (log.address.toLowerCase() !== tokenLower) continue;
    const [topic0, authorizer, nonce] = log.topics;
    if (log.topics.length !== 3 || topic0?.toLowerCase() !== AUTHORIZATION_USED_TOPIC || !authorizer || !nonce) continue;
    if (!/^0x0{24}[0-9a-fA-F]{40}$/.test(authorizer) || !HEX_BYTES32.test(nonce)) continue;
    used.set(authorizationKey(`0x${authorizer.slice(26)}`, nonce), log.logIndex ?? 0);
  }
  return used;
}
