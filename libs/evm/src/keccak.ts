import { dirname } from 'node:path';
import { keccak256 } from 'viem';

/**
 * Keccak-256 (the pre-standard SHA-3 Ethereum uses, not NIST `sha3-256`) of a byte string, as 32 bytes.
 * On the verify path it runs three times per payment (EIP-712 struct and digest, recovered public key)
 * and on the worker path over every signed batch transaction (≈ 70 KB for 200 rows). The native binding
 * of the `keccak` package takes ≈ 1.5 µs for 66 bytes and ≈ 0.18 ms for 70 KB, against ≈ 9 µs and ≈ 4.3 ms
 * for viem's pure-JS @noble/hashes, which is the fallback when the binding does not load. Both are tested
 * to agree.
 */
export type Keccak256 = (data: Uint8Array) => Uint8Array;

/** Pure JS, through viem (@noble/hashes). */
export const jsKeccak256: Keccak256 = (data) => keccak256(data, 'bytes');

/** The `keccak` package's native sponge (what its stream API wraps). */
interface NativeKeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(length: number): Buffer;
}

/**
 * The native binding of the `keccak` package, or null when it cannot be loaded on this machine. The sponge
 * is driven directly (one reused state, re-initialised per hash) rather than through the package's stream
 * API: constructing a Transform stream per hash cost more than the hash itself on the verify path.
 */
export function nativeKeccak256(): Keccak256 | null {
  let state: NativeKeccakState;
  try {
    const dir = dirname(require.resolve('keccak/package.json'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const KeccakState = require(require.resolve('node-gyp-build', { paths: [dir] }))(dir) as new () => NativeKeccakState;
    state = new KeccakState();
  } catch {
    return null;
  }
  // Keccak-256: rate 1088 bits, capacity 512; the sponge's default padding is Keccak's (0x01), not SHA-3's.
  const hash: Keccak256 = (data) => {
    state.initialize(1088, 512);
    state.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const out = state.squeeze(32);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
  try {
    // Refuse a binding that does not produce the known digest of the empty string.
    if (Buffer.from(hash(new Uint8Array(0))).toString('hex') !== 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470') return null;
  } catch {
    return null;
  }
  return hash;
}

/** The fastest Keccak-256 available on this machine. */
export const fastKeccak256: Keccak256 = nativeKeccak256() ?? jsKeccak256;
