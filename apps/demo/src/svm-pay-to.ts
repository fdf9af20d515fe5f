import {
  appendTransactionMessageInstructions,
  createSolanaRpc,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type KeyPairSigner,
} from '@solana/kit';
import { findAssociatedTokenPda, getCreateAssociatedTokenIdempotentInstructionAsync } from '@solana-program/token';

/** A Solana payTo: the owner address the merchant registers, and its associated token account of the mint. */
export interface SvmPayTo {
  address: Address;
  tokenAccount: Address;
}

/**
 * A fresh Solana payTo for one demo run: a new owner key (never used to sign; only its address matters)
 * and its associated token account of `mint`, created on chain by an ordinary
 * `CreateAssociatedTokenIdempotent` transaction that `funder` signs and pays for. x402's Solana client never
 * creates the payee's token account (the payment's `TransferChecked` needs it to exist), so a merchant has
 * one before it is paid — on any Solana RPC, the devchain's included.
 *
 * @param rpcUrl Solana JSON-RPC URL.
 * @param mint the token's mint; `tokenProgram` its owner program (Token or Token-2022).
 * @throws Error when the transaction fails or has no status within `timeoutMs`.
 */
export async function createSvmPayTo(
  rpcUrl: string,
  funder: KeyPairSigner,
  mint: Address,
  tokenProgram: Address,
  timeoutMs = 30_000,
): Promise<SvmPayTo> {
  const rpc = createSolanaRpc(rpcUrl);
  const owner = (await generateKeyPairSigner()).address;
  const [tokenAccount] = await findAssociatedTokenPda({ mint, owner, tokenProgram });
  const create = await getCreateAssociatedTokenIdempotentInstructionAsync({ payer: funder, owner, mint, tokenProgram });
  const { value: blockhash } = await rpc.getLatestBlockhash().send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(funder, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
    (m) => appendTransactionMessageInstructions([create], m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  const signature = getSignatureFromTransaction(signed);
  await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64' }).send();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status?.err) throw new Error(`creating the token account of payTo ${owner} failed: ${JSON.stringify(status.err)}`);
    if (status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized') return { address: owner, tokenAccount };
    if (Date.now() > deadline) throw new Error(`creating the token account of payTo ${owner}: no confirmation within ${timeoutMs} ms (${signature})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
