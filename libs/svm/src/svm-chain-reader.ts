import {
  createSolanaRpc,
  isSolanaError,
  SOLANA_ERROR__JSON_RPC__INVALID_PARAMS,
  type Address,
  type Base64EncodedWireTransaction,
  type Blockhash,
} from '@solana/kit';

/** Where a transaction's blockhash stands: still accepted, and the block heights around it. */
export interface BlockhashStanding {
  valid: boolean;
  /** Current block height. */
  blockHeight: bigint;
  /** Last block height at which the blockhash is accepted (an upper bound when the RPC never named it latest). */
  lastValidBlockHeight: bigint;
}

/** The chain reads `exact` verification on Solana needs. Infrastructure failures throw. */
export interface SvmChainReader {
  /** Simulates without signature checks (the fee-payer slot is empty); Solana's JSON error or null. */
  simulate(base64Transaction: string): Promise<{ err: unknown }>;
  blockhashStanding(blockhash: string): Promise<BlockhashStanding>;
  /** Atomic units in a token account, or null when it does not exist. */
  tokenBalance(account: string): Promise<bigint | null>;
}

/**
 * {@link SvmChainReader} over a Solana JSON-RPC endpoint (any node, or the devchain). Remembers the
 * `lastValidBlockHeight` of every blockhash it saw as latest, since the RPC reports it for the latest only.
 */
export function rpcChainReader(url: string): SvmChainReader {
  const rpc = createSolanaRpc(url);
  const lastValid = new Map<string, bigint>();
  return {
    async simulate(tx) {
      try {
        const r = await rpc
          .simulateTransaction(tx as Base64EncodedWireTransaction, { encoding: 'base64', sigVerify: false, replaceRecentBlockhash: false, commitment: 'confirmed' })
          .send();
        return { err: r.value.err };
      } catch (err) {
        // The node refusing the transaction itself (it does not sanitize) is the payment's fault, not ours.
        if (isSolanaError(err, SOLANA_ERROR__JSON_RPC__INVALID_PARAMS)) return { err: err.message };
        throw err;
      }
    },
    async blockhashStanding(blockhash) {
      const [latest, blockHeight, valid] = await Promise.all([
        rpc.getLatestBlockhash({ commitment: 'confirmed' }).send(),
        rpc.getBlockHeight({ commitment: 'confirmed' }).send(),
        rpc.isBlockhashValid(blockhash as Blockhash, { commitment: 'confirmed' }).send(),
      ]);
      lastValid.set(latest.value.blockhash, latest.value.lastValidBlockHeight);
      if (lastValid.size > 10_000) lastValid.delete(lastValid.keys().next().value as string);
      return { valid: valid.value, blockHeight, lastValidBlockHeight: lastValid.get(blockhash) ?? latest.value.lastValidBlockHeight };
    },
    async tokenBalance(account) {
      const info = await rpc.getAccountInfo(account as Address, { encoding: 'base64' }).send();
      if (!info.value) return null;
      const r = await rpc.getTokenAccountBalance(account as Address, { commitment: 'confirmed' }).send();
      return BigInt(r.value.amount);
    },
  };
}
