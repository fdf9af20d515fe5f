import { createKeyPairSignerFromPrivateKeyBytes, getBase58Encoder, type KeyPairSigner } from '@solana/kit';

/**
 * Fee-payer signers from base58 64-byte secret keys (seed ‖ public key), keyed by address.
 * @throws Error when a key is not 64 bytes or its public half does not match its seed (the message never
 *   contains the key).
 */
export async function feePayerSigners(secretKeys: readonly string[]): Promise<Map<string, KeyPairSigner>> {
  const out = new Map<string, KeyPairSigner>();
  for (const [i, key] of secretKeys.entries()) {
    const bytes = new Uint8Array(getBase58Encoder().encode(key));
    if (bytes.length !== 64) throw new Error(`fee-payer key #${i + 1} is ${bytes.length} bytes, expected 64`);
    const signer = await createKeyPairSignerFromPrivateKeyBytes(bytes.slice(0, 32));
    const publicHalf = new Uint8Array(getBase58Encoder().encode(signer.address));
    if (Buffer.compare(Buffer.from(publicHalf), Buffer.from(bytes.slice(32))) !== 0) throw new Error(`fee-payer key #${i + 1}: its public half does not match its seed`);
    out.set(signer.address, signer);
  }
  return out;
}
