import { keccak256 } from 'viem';

/**
 * Keccak-256 (the pre-standard SHA-3 Ethereum uses, not NIST `sha3-256`) of a byte string, as 32 bytes.
 * On the verify path it runs three times per payment (EIP-712 struct and digest, recovered public key)
 * and on the worker path over every signed batch transaction (≈ 70 KB for 200 rows). The native binding
 * of the `keccak` package is ≈ 3× faster than viem's pure-JS @noble/hashes for 66 bytes and ≈ 20× for a
 * 70 KB transaction; viem's is the fallback when the binding does not load. Both are tested to agree.
 */
export type Keccak256 = (data: Uint8Array) => Uint8Array;

/** Pure JS, through viem (@noble/hashes). */
export const jsKeccak256: Keccak256 = (data) => keccak256(data, 'bytes');

interface NativeKeccakState {
  /** Accepts Buffers only (a plain Uint8Array throws). */
  update(data: Buffer): NativeKeccakState;
  digest(): Buffer;
}

/** The native binding (`keccak/bindings`), or null when it cannot be loaded on this machine. */
export function nativeKeccak256(): Keccak256 | null {
  let create: (algorithm: 'keccak256') => NativeKeccakState;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    create = require('keccak/bindings') as typeof create;
    create('keccak256').update(Buffer.alloc(1)).digest();
  } catch {
    return null;
  }
  return (data) => {
    const out = create('keccak256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
}

/** The fastest Keccak-256 available on this machine. */
export const fastKeccak256: Keccak256 = nativeKeccak256() ?? jsKeccak256;
