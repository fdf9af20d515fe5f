import { createHash, createPublicKey, verify as ed25519Verify } from 'node:crypto';
import {
  decompileTransactionMessage,
  getAddressEncoder,
  getBase58Decoder,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type Address,
  type CompiledTransactionMessage,
  type Instruction,
  type Transaction,
} from '@solana/kit';

/** A payload's transaction, decoded: wire form, compiled message and its instructions with resolved accounts. */
export interface DecodedSvmTransaction {
  transaction: Transaction;
  compiled: CompiledTransactionMessage;
  instructions: readonly Instruction[];
  /** Static account keys in message order (index 0 is the fee payer). */
  accounts: readonly Address[];
  /** The blockhash the message commits to (its lifetime). */
  blockhash: string;
  /** `0x` + hex SHA-256 of the message bytes: the unique key of the payment per network. */
  messageHash: string;
}

/**
 * Decodes a base64 wire transaction the way the reference facilitator does (`getTransactionDecoder`, then
 * the compiled message, then decompiled instructions). Address lookup tables are refused: Tollgate does not
 * resolve them, and the official client never uses them.
 * @returns the decoded transaction, or undefined when any step fails.
 */
export function decodeSvmTransaction(base64: string): DecodedSvmTransaction | undefined {
  try {
    const transaction = getTransactionDecoder().decode(getBase64Encoder().encode(base64));
    const compiled = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes);
    if ('addressTableLookups' in compiled && (compiled.addressTableLookups?.length ?? 0) > 0) return undefined;
    const message = decompileTransactionMessage(compiled);
    return {
      transaction,
      compiled,
      instructions: message.instructions,
      accounts: compiled.staticAccounts,
      blockhash: compiled.lifetimeToken,
      messageHash: `0x${createHash('sha256').update(Uint8Array.from(transaction.messageBytes)).digest('hex')}`,
    };
  } catch {
    return undefined;
  }
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Whether `signature` (64 bytes) is `address`'s Ed25519 signature of `message`. Never throws. */
export function ed25519SignatureValid(address: Address, signature: Uint8Array, message: Uint8Array): boolean {
  try {
    const raw = Buffer.from(Uint8Array.from(getAddressEncoder().encode(address)));
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    return ed25519Verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** The base58 signature of `address` in the transaction, or undefined when its slot is empty. */
export function signatureOf(tx: Transaction, address: Address): string | undefined {
  const sig = tx.signatures[address];
  return sig ? getBase58Decoder().decode(sig) : undefined;
}
