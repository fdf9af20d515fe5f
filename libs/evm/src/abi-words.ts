import type { Hex } from 'viem';

// Shapes and ABI words of the hand-encoded calls on the verify and settlement paths.

/** `0x` + 20 bytes of hex, any case. */
export const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** `0x` + 32 bytes of hex. */
export const HEX_BYTES32 = /^0x[0-9a-fA-F]{64}$/;
/** `0x` + whole bytes of hex (possibly none). */
export const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;
const UINT256_MAX = 2n ** 256n - 1n;

/*
 * ABI words (32 bytes as 64 lower-case hex digits, no 0x), Solidity ABI spec: static `address`, `uint256`,
 * `bytes32`. Each throws TypeError / RangeError when the value does not have that type.
 */

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
