import { Address, Hex, toFunctionSelector } from 'viem';
import { HEX_ADDRESS, HEX_BYTES } from './abi-words';

/**
 * ABI codec of Multicall3 `aggregate3((address target, bool allowFailure, bytes callData)[])` and its
 * `(bool success, bytes returnData)[]` answer, for the verify path's one eth_call per event-loop turn.
 *
 * Why by hand: the shape is fixed, and viem's generic encodeFunctionData/decodeFunctionResult walk the ABI
 * and build intermediate arrays and hex strings per element — under /verify load that was ≈ 4 % of the
 * API's CPU and ≈ 17 % of its allocations. These are string slices and joins over the same layout
 * (Solidity ABI spec, "Formal Specification of the Encoding": dynamic array of dynamic tuples). Both
 * directions are property-tested against viem.
 */
export interface Aggregate3Call {
  target: Address;
  allowFailure: boolean;
  callData: Hex;
}

export interface Aggregate3Result {
  success: boolean;
  returnData: Hex;
}

const AGGREGATE3 = toFunctionSelector('aggregate3((address,bool,bytes)[])');
const HEX_BODY = /^[0-9a-fA-F]*$/;

const word = (n: number): string => n.toString(16).padStart(64, '0');

/**
 * Calldata of `aggregate3(calls)`.
 * @throws TypeError when a target is not an address or callData is not whole bytes of hex.
 */
export function encodeAggregate3(calls: readonly Aggregate3Call[]): Hex {
  const heads: string[] = [];
  const tails: string[] = [];
  let offset = calls.length * 32;
  for (const c of calls) {
    if (!HEX_ADDRESS.test(c.target)) throw new TypeError(`not an address: ${c.target}`);
    if (!HEX_BYTES.test(c.callData)) throw new TypeError(`not hex bytes: ${c.callData.slice(0, 20)}…`);
    const data = c.callData.slice(2).toLowerCase();
    const length = data.length / 2;
    const padded = Math.ceil(length / 32) * 64;
    heads.push(word(offset));
    tails.push(`${c.target.slice(2).toLowerCase().padStart(64, '0')}${word(c.allowFailure ? 1 : 0)}${word(96)}${word(length)}${data.padEnd(padded, '0')}`);
    offset += 128 + padded / 2;
  }
  return `${AGGREGATE3}${word(32)}${word(calls.length)}${heads.join('')}${tails.join('')}`;
}

/**
 * Decodes the answer of `aggregate3`.
 * @throws Error when `data` is not a well-formed `(bool,bytes)[]` encoding (truncated, offsets out of range,
 *   a bool word other than 0 or 1).
 */
export function decodeAggregate3Result(data: Hex): Aggregate3Result[] {
  const hex = data.startsWith('0x') ? data.slice(2) : data;
  if (hex.length % 2 !== 0 || !HEX_BODY.test(hex)) throw new Error('aggregate3 answer is not hex bytes');
  const bytes = hex.length / 2;
  // Reads the 32-byte word at byte `at` as a safe integer (offsets and lengths must be small).
  const int = (at: number): number => {
    if (at + 32 > bytes) throw new Error(`aggregate3 answer truncated at byte ${at}`);
    const w = hex.slice(at * 2, at * 2 + 64);
    if (!/^0{48}/.test(w)) throw new Error(`aggregate3 answer has an out-of-range word at byte ${at}`);
    return parseInt(w.slice(48), 16);
  };
  const array = int(0);
  const n = int(array);
  const base = array + 32;
  if (n > (bytes - base) / 32) throw new Error('aggregate3 answer has more elements than bytes');
  const out: Aggregate3Result[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const tuple = base + int(base + i * 32);
    const flag = int(tuple);
    if (flag > 1) throw new Error(`aggregate3 answer has a non-boolean success word at byte ${tuple}`);
    const at = tuple + int(tuple + 32);
    const length = int(at);
    if (at + 32 + length > bytes) throw new Error(`aggregate3 answer truncated in returnData ${i}`);
    out[i] = { success: flag === 1, returnData: `0x${hex.slice((at + 32) * 2, (at + 32 + length) * 2).toLowerCase()}` };
  }
  return out;
}
