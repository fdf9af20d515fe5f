import { createHash, verify as ed25519Verify, createPublicKey } from 'node:crypto';
import {
  getAddressEncoder,
  getBase58Decoder,
  getBase58Encoder,
  getCompiledTransactionMessageDecoder,
  getCompiledTransactionMessageEncoder,
  getTransactionDecoder,
  lamports,
  type Address,
  type Blockhash,
  type MaybeEncodedAccount,
  type Transaction,
} from '@solana/kit';
import { FailedTransactionMetadata, LiteSVM } from 'litesvm';
import { solanaTransactionError } from './svm-errors';

/** Blocks a blockhash stays valid for, as on Solana (`MAX_PROCESSING_AGE` + 1 ≈ 151; the RPC reports +150). */
export const SVM_BLOCKHASH_VALID_BLOCKS = 150;

/** What `getSignatureStatuses` reports for a transaction the chain executed. */
export interface SvmSignatureStatus {
  slot: bigint;
  /** Solana's JSON form of the transaction error, null when it succeeded. */
  err: unknown;
}

/** Commitment of an executed transaction: `confirmed` until {@link SvmChain.finalitySlots} slots passed, then `finalized`. */
export type SvmCommitment = 'confirmed' | 'finalized';

/** Outcome of {@link SvmChain.send}: the signature (base58) and, when it landed, its status. */
export interface SvmSendOutcome {
  signature: string;
  /** Undefined when the chain dropped the transaction (unknown blockhash, already processed, bad signature). */
  status?: SvmSignatureStatus;
  /** Why it was dropped or failed, Solana's JSON error form. */
  err?: unknown;
  logs: string[];
}

/** Result of {@link SvmChain.simulate}, in the shape of `simulateTransaction`'s `value`. */
export interface SvmSimulation {
  err: unknown;
  logs: string[];
  unitsConsumed: bigint;
}

const SYSTEM_PROGRAM = '11111111111111111111111111111111' as Address;

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Verifies one Ed25519 signature over `message` by the 32-byte public key `signer`. */
function ed25519Valid(signer: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, signer]), format: 'der', type: 'spki' });
  return ed25519Verify(null, message, key, signature);
}

/**
 * A litesvm instance with the block clock a JSON-RPC node has and litesvm lacks: a slot / block height
 * (equal here: no skipped slots), the height at which the current blockhash was issued, and the
 * statuses of executed transactions. litesvm accepts only its latest blockhash, so a blockhash lives
 * until {@link expireBlockhash} or until the height passes its `lastValidBlockHeight`.
 *
 * Signatures are checked here, not by litesvm (which runs with sigverify off so that simulations of
 * transactions whose fee-payer slot is still empty work, like `sigVerify: false` on a real node).
 */
export class SvmChain {
  readonly svm: LiteSVM;
  private height = 1n;
  private blockhashIssuedAt = 1n;
  private readonly statuses = new Map<string, SvmSignatureStatus>();
  /** Each landed transaction's accounts as they were before it ran, for {@link dropTransaction}. */
  private readonly before = new Map<string, MaybeEncodedAccount[]>();
  /**
   * Slots after which a landed transaction reports `finalized` (before: `confirmed`). 0 (default): at once.
   * Solana finalizes after ~32 slots; tests raise it to see a payment that is confirmed but not yet final.
   */
  finalitySlots = 0n;

  constructor() {
    // No litesvm history: this class keeps the statuses, and a transaction a fork dropped must land again.
    this.svm = new LiteSVM().withSigverify(false).withTransactionHistory(0n);
    this.svm.warpToSlot(this.height);
  }

  /** Current slot (= block height). */
  get slot(): bigint {
    return this.height;
  }

  /** The blockhash transactions must use now, and the last block height at which it is accepted. */
  latestBlockhash(): { blockhash: Blockhash; lastValidBlockHeight: bigint } {
    return { blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: this.blockhashIssuedAt + BigInt(SVM_BLOCKHASH_VALID_BLOCKS) };
  }

  /** Whether `blockhash` would still be accepted. */
  isBlockhashValid(blockhash: string): boolean {
    const latest = this.latestBlockhash();
    return blockhash === latest.blockhash && this.height <= latest.lastValidBlockHeight;
  }

  /** Advances the clock by `n` slots; the blockhash expires once the height passes its last valid height. */
  advanceSlots(n: bigint): void {
    this.height += n;
    this.svm.warpToSlot(this.height);
    if (this.height > this.latestBlockhash().lastValidBlockHeight) this.expireBlockhash();
  }

  /** Replaces the blockhash at once: transactions built on the old one can never land. */
  expireBlockhash(): void {
    this.svm.expireBlockhash();
    this.blockhashIssuedAt = this.height;
  }

  /** Status of an executed transaction by base58 signature. */
  status(signature: string): SvmSignatureStatus | undefined {
    return this.statuses.get(signature);
  }

  /** The commitment `getSignatureStatuses` reports for a landed status (see {@link finalitySlots}). */
  commitmentOf(status: SvmSignatureStatus): SvmCommitment {
    return this.height >= status.slot + this.finalitySlots ? 'finalized' : 'confirmed';
  }

  /**
   * Forgets a landed transaction as a fork that never included it would: its status goes and every account
   * it touched is put back as it was before it ran (accounts a later transaction also changed included, so
   * drop before anything else touches them). With its blockhash still valid it can land again.
   * @returns false when no such transaction landed.
   */
  dropTransaction(signature: string): boolean {
    const before = this.before.get(signature);
    if (!before || !this.statuses.delete(signature)) return false;
    this.before.delete(signature);
    for (const acc of before) {
      if (acc.exists) this.svm.setAccount(acc);
      else this.svm.setAccount({ address: acc.address, data: new Uint8Array(), executable: false, lamports: lamports(0n), programAddress: SYSTEM_PROGRAM, space: 0n });
    }
    return true;
  }

  /** Decodes a wire transaction. @throws Error when the bytes are not a transaction. */
  decode(wire: Uint8Array): Transaction {
    return getTransactionDecoder().decode(wire);
  }

  /**
   * `tx` with its message's blockhash replaced by the latest one (`simulateTransaction`'s
   * `replaceRecentBlockhash`): the message bytes change, so its signatures no longer hold — which a
   * simulation does not check. Clients estimating compute units simulate before they pick a blockhash.
   */
  withLatestBlockhash(tx: Transaction): Transaction {
    const message = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
    const messageBytes = getCompiledTransactionMessageEncoder().encode({ ...message, lifetimeToken: this.latestBlockhash().blockhash });
    return { ...tx, messageBytes: messageBytes as Transaction['messageBytes'] };
  }

  /** Runs a transaction without committing it (signatures not checked). */
  simulate(tx: Transaction): SvmSimulation {
    const blockhashErr = this.blockhashError(tx);
    if (blockhashErr) return { err: blockhashErr, logs: [], unitsConsumed: 0n };
    const r = this.svm.simulateTransaction(tx);
    if (r instanceof FailedTransactionMetadata) {
      return { err: solanaTransactionError(r.err()), logs: r.meta().logs(), unitsConsumed: r.meta().computeUnitsConsumed() };
    }
    const meta = r.meta();
    return { err: null, logs: meta.logs(), unitsConsumed: meta.computeUnitsConsumed() };
  }

  /** Checks every signature, then executes and records the transaction as one block. */
  send(tx: Transaction): SvmSendOutcome {
    const signers = Object.keys(tx.signatures) as Address[];
    const first = tx.signatures[signers[0]];
    const signature = first ? getBase58Decoder().decode(first) : '';
    for (const signer of signers) {
      const sig = tx.signatures[signer];
      if (!sig || !ed25519Valid(Uint8Array.from(getAddressEncoder().encode(signer)), Uint8Array.from(tx.messageBytes), Uint8Array.from(sig))) {
        return { signature, err: 'SignatureFailure', logs: [] };
      }
    }
    if (this.statuses.has(signature)) return { signature, err: 'AlreadyProcessed', logs: [] };
    const blockhashErr = this.blockhashError(tx);
    if (blockhashErr) return { signature, err: blockhashErr, logs: [] };
    const touched = getCompiledTransactionMessageDecoder().decode(tx.messageBytes).staticAccounts.map((a) => this.svm.getAccount(a));
    const r = this.svm.sendTransaction(tx);
    const failed = r instanceof FailedTransactionMetadata;
    const err = failed ? solanaTransactionError(r.err()) : null;
    const logs = failed ? r.meta().logs() : r.logs();
    // Errors before execution (fee payer cannot pay, accounts missing) never make a block on Solana either.
    if (failed && typeof err === 'string' && PRE_EXECUTION_ERRORS.has(err)) return { signature, err, logs };
    const status = { slot: this.height, err };
    // The clock does not move per transaction: slots advance only on request, so tests decide when
    // blockhashes expire.
    this.statuses.set(signature, status);
    this.before.set(signature, touched);
    return { signature, status, err: err ?? undefined, logs };
  }

  private blockhashError(tx: Transaction): string | undefined {
    const message = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
    return this.isBlockhashValid(message.lifetimeToken) ? undefined : 'BlockhashNotFound';
  }
}

const PRE_EXECUTION_ERRORS = new Set(['InsufficientFundsForFee', 'AccountNotFound', 'InvalidAccountForFee', 'SanitizeFailure', 'AlreadyProcessed', 'BlockhashNotFound']);

/** Deterministic Ed25519 seed for a named devchain key (public test keys, like anvil's mnemonic). */
export function devSeed(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`tollgate-devchain-svm:${name}`).digest());
}

/** Base58 ↔ bytes helpers for 64-byte secret keys (the Solana CLI / wallet export format). */
export const base58 = {
  encode: (bytes: Uint8Array): string => getBase58Decoder().decode(bytes),
  decode: (text: string): Uint8Array => new Uint8Array(getBase58Encoder().encode(text)),
};
