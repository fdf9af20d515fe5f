import type { Hex } from 'viem';

/**
 * ABI words (32 bytes as 64 lower-case hex digits, no 0x) for the hand-encoded calls of the verify and
 * settlement paths (Solidity ABI spec: static `address`, `uint256`, `bytes32`).
 * @throws TypeError / RangeError when the value does not have that type.
 */
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX_BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const UINT256_MAX = 2n ** 256n - 1n;

export const addressWord = (a: string): string => {
  if (!HEX_ADDRESS.test(a)) throw new TypeError(`not an address: ${a}`);
  return a.slice(2).toLowerCase().padStart(64, '0');
};

export const uintWord = (v: bigint): string => {
  if (v < 0n || v > UINT256_MAX) throw new RangeError(`${v} does not fit uint256`);
  return v.toString(16).padStart(64, '0');
};

export const bytes32Word = (b: Hex | string): string => {
  if (!HEX_BYTES32.test(b)) throw new TypeError(`not a bytes32: ${b}`);
  return b.slice(2).toLowerCase();
};
