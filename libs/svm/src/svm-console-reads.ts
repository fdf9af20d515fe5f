import { createSolanaRpc, type Address, type Signature } from '@solana/kit';

/** A transaction's standing as `getSignatureStatuses` reports it. */
export interface SvmSignatureStanding {
  slot: bigint;
  /** Blocks voted on top of it; null once finalized (Solana stops counting). */
  confirmations: number | null;
  /** `processed`, `confirmed` or `finalized`. */
  confirmationStatus: string | null;
  /** Solana's JSON error when it landed failed, else null. */
  err: unknown;
}

/** Keyless reads the operator console makes on a Solana network (by address or signature only). */
export interface SvmConsoleReader {
  /** SOL balance of `address` in lamports, at `confirmed` commitment. */
  balance(address: string): Promise<bigint>;
  /** The standing of `signature` (history searched), or null when the chain does not know it. */
  signature(signature: string): Promise<SvmSignatureStanding | null>;
}

/**
 * {@link SvmConsoleReader} over a Solana JSON-RPC endpoint. Holds no key: the API reads fee payers by their
 * public address, the way it reads EVM relayers. Infrastructure failures throw.
 */
export function svmConsoleReader(url: string): SvmConsoleReader {
  const rpc = createSolanaRpc(url);
  return {
    async balance(address) {
      return (await rpc.getBalance(address as Address, { commitment: 'confirmed' }).send()).value;
    },
    async signature(signature) {
      const r = await rpc.getSignatureStatuses([signature as Signature], { searchTransactionHistory: true }).send();
      const st = r.value[0] as { slot: bigint; confirmations: bigint | number | null; confirmationStatus: string | null; err: unknown } | null;
      if (!st) return null;
      return { slot: BigInt(st.slot), confirmations: st.confirmations === null ? null : Number(st.confirmations), confirmationStatus: st.confirmationStatus ?? null, err: st.err ?? null };
    },
  };
}
