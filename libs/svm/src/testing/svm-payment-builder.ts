import {
  appendTransactionMessageInstructions,
  compileTransaction,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  partiallySignTransaction,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Blockhash,
  type Instruction,
  type KeyPairSigner,
} from '@solana/kit';
import { getSetComputeUnitLimitInstruction, getSetComputeUnitPriceInstruction } from '@solana-program/compute-budget';
import { findAssociatedTokenPda, getTransferCheckedInstruction, TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';
import { MEMO_PROGRAM_ADDRESS } from '../exact-svm-rules';

/** What a test payment is made of; every field can be bent to break exactly one rule. */
export interface SvmPaymentSpec {
  payer: KeyPairSigner;
  feePayer: Address;
  mint: Address;
  payTo: Address;
  amount: bigint;
  decimals: number;
  blockhash: { blockhash: string; lastValidBlockHeight: bigint };
  computeUnits?: number;
  microLamports?: bigint;
  memo?: string;
  /** Replaces the default instruction list (limit, price, transfer, memo), given the default ones. */
  instructions?: (defaults: Instruction[], parts: { transfer: Instruction; limit: Instruction; price: Instruction }) => Instruction[];
  /** Further key pairs that sign (for instructions that require them). */
  extraSigners?: KeyPairSigner[];
}

/** A memo instruction, optionally requiring `signers`' signatures (as the Memo program allows). */
export function memoInstruction(text: string, signers: readonly KeyPairSigner[] = []): Instruction {
  return {
    programAddress: MEMO_PROGRAM_ADDRESS as Address,
    accounts: signers.map((s) => ({ address: s.address, role: 2, signer: s }) as never),
    data: new TextEncoder().encode(text),
  };
}

/**
 * Builds a v0 payment transaction as the official client does (limit, price, TransferChecked to payTo's
 * associated token account, memo), signed by the payer only, as base64 wire bytes.
 */
export async function buildSvmPayment(spec: SvmPaymentSpec): Promise<string> {
  const [source] = await findAssociatedTokenPda({ mint: spec.mint, owner: spec.payer.address, tokenProgram: TOKEN_PROGRAM_ADDRESS });
  const [destination] = await findAssociatedTokenPda({ mint: spec.mint, owner: spec.payTo, tokenProgram: TOKEN_PROGRAM_ADDRESS });
  const limit = getSetComputeUnitLimitInstruction({ units: spec.computeUnits ?? 20_000 });
  const price = getSetComputeUnitPriceInstruction({ microLamports: spec.microLamports ?? 1n });
  const transfer = getTransferCheckedInstruction({ source, mint: spec.mint, destination, authority: spec.payer, amount: spec.amount, decimals: spec.decimals });
  const defaults: Instruction[] = [limit, price, transfer, memoInstruction(spec.memo ?? Math.random().toString(16).slice(2))];
  const instructions = spec.instructions ? spec.instructions(defaults, { transfer, limit, price }) : defaults;
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayer(spec.feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: spec.blockhash.blockhash as Blockhash, lastValidBlockHeight: spec.blockhash.lastValidBlockHeight }, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const tx = compileTransaction(message);
  const keyPairs = [spec.payer, ...(spec.extraSigners ?? [])].filter((s) => s.address in tx.signatures).map((s) => s.keyPair);
  const signed = await partiallySignTransaction(keyPairs, tx);
  return getBase64EncodedWireTransaction(signed);
}
