import { createKeyPairSignerFromPrivateKeyBytes, lamports, type Address, type KeyPairSigner } from '@solana/kit';
import { AccountState, TOKEN_PROGRAM_ADDRESS, findAssociatedTokenPda, getMintEncoder, getTokenEncoder } from '@solana-program/token';
import { base58, devSeed, SvmChain } from './svm-chain';
import { serveSvmRpc } from './svm-rpc-server';

/** The CAIP-2 id the devchain answers as: Solana devnet, because `@x402/svm` only knows the fixed ids. */
export const SVM_DEVCHAIN_NETWORK = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
/** v1 name of {@link SVM_DEVCHAIN_NETWORK}. */
export const SVM_DEVCHAIN_V1_NAME = 'solana-devnet';
/** Decimals of the devchain's USDC-like mint. */
export const SVM_DEVCHAIN_DECIMALS = 6;

/** A devchain key: base58 address and the 64-byte secret key (seed ‖ public key) in base58, as Solana wallets export it. */
export interface SvmDevAccount {
  address: Address;
  secretKey: string;
}

/** A payer: its key, its token account of the mint, and the atomic units it was funded with. */
export interface SvmDevPayer extends SvmDevAccount {
  tokenAccount: Address;
}

/** A merchant (payTo owner) with its associated token account of the mint. */
export interface SvmDevMerchant extends SvmDevAccount {
  tokenAccount: Address;
}

/** The Solana part of the deployment file (JSON-safe). Keys are public test keys derived from fixed names. */
export interface SvmDeployment {
  network: string;
  v1Name: string;
  rpcUrl: string;
  mint: { address: string; decimals: number; tokenProgram: string };
  feePayers: SvmDevAccount[];
  payers: SvmDevPayer[];
  payTo: SvmDevMerchant[];
}

/** Options for {@link startSvmDevchain}. */
export interface StartSvmDevchainOptions {
  /** TCP port on 127.0.0.1; 0 or omitted: a free port. */
  port?: number;
  /** Payers to fund (default 4), each with {@link payerTokens} atomic units and 1 SOL. */
  payers?: number;
  /** Fee-payer keys to fund with {@link feePayerLamports} (default 2). */
  feePayers?: number;
  /** Merchants (payTo owners) with token accounts (default 2). */
  merchants?: number;
  /** Atomic units each payer holds (default 1,000 tokens = 1e9). */
  payerTokens?: bigint;
  /** Lamports each fee payer holds (default 100 SOL). */
  feePayerLamports?: bigint;
}

/** A running SVM devchain. */
export interface SvmDevchain {
  /** HTTP JSON-RPC URL. */
  url: string;
  network: typeof SVM_DEVCHAIN_NETWORK;
  /** The USDC-like mint (Token program, 6 decimals). */
  mint: Address;
  mintAuthority: SvmDevAccount;
  payers: SvmDevPayer[];
  feePayers: SvmDevAccount[];
  merchants: SvmDevMerchant[];
  /** The chain behind the server, for tests that inspect or steer it in-process. */
  chain: SvmChain;
  /** A kit signer for a devchain key. */
  signer(account: SvmDevAccount): Promise<KeyPairSigner>;
  /** Stops the server. Idempotent. */
  stop(): Promise<void>;
}

const LAMPORTS_PER_SOL = 1_000_000_000n;

async function devAccount(name: string): Promise<{ account: SvmDevAccount; signer: KeyPairSigner }> {
  const seed = devSeed(name);
  const signer = await createKeyPairSignerFromPrivateKeyBytes(seed);
  const secret = new Uint8Array(64);
  secret.set(seed, 0);
  secret.set(base58.decode(signer.address), 32);
  return { account: { address: signer.address, secretKey: base58.encode(secret) }, signer };
}

/** Writes an initialized token account of `mint` owned by `owner` at its associated address. */
async function createTokenAccount(chain: SvmChain, mint: Address, owner: Address, amount: bigint): Promise<Address> {
  const [ata] = await findAssociatedTokenPda({ mint, owner, tokenProgram: TOKEN_PROGRAM_ADDRESS });
  const data = getTokenEncoder().encode({
    mint,
    owner,
    amount,
    delegate: null,
    state: AccountState.Initialized,
    isNative: null,
    delegatedAmount: 0,
    closeAuthority: null,
  });
  chain.svm.setAccount({
    address: ata,
    data: new Uint8Array(data),
    executable: false,
    lamports: lamports(chain.svm.minimumBalanceForRentExemption(BigInt(data.length))),
    programAddress: TOKEN_PROGRAM_ADDRESS,
    space: BigInt(data.length),
  });
  return ata;
}

/**
 * Starts an in-process SVM (litesvm) behind a Solana JSON-RPC server on loopback and deploys the fixture:
 * a USDC-like mint (6 decimals, Token program), funded payers with token accounts, fee payers with SOL, and
 * merchants with associated token accounts. Keys derive from fixed names, so every start has the same
 * addresses (public test keys, like anvil's mnemonic). For development and tests only: real deployments
 * point at a Solana RPC.
 * @throws Error when the port is taken.
 */
export async function startSvmDevchain(opts: StartSvmDevchainOptions = {}): Promise<SvmDevchain> {
  const chain = new SvmChain();
  const payerTokens = opts.payerTokens ?? 1_000n * 10n ** BigInt(SVM_DEVCHAIN_DECIMALS);
  const feePayerLamports = opts.feePayerLamports ?? 100n * LAMPORTS_PER_SOL;

  const authority = await devAccount('mint-authority');
  const mintKey = await devAccount('mint');
  const payers = await Promise.all(Array.from({ length: opts.payers ?? 4 }, (_, i) => devAccount(`payer:${i}`)));
  const feePayers = await Promise.all(Array.from({ length: opts.feePayers ?? 2 }, (_, i) => devAccount(`fee-payer:${i}`)));
  const merchants = await Promise.all(Array.from({ length: opts.merchants ?? 2 }, (_, i) => devAccount(`merchant:${i}`)));
  const mint = mintKey.account.address;

  const supply = payerTokens * BigInt(payers.length);
  const mintData = getMintEncoder().encode({
    mintAuthority: authority.account.address,
    supply,
    decimals: SVM_DEVCHAIN_DECIMALS,
    isInitialized: true,
    freezeAuthority: null,
  });
  chain.svm.setAccount({
    address: mint,
    data: new Uint8Array(mintData),
    executable: false,
    lamports: lamports(chain.svm.minimumBalanceForRentExemption(BigInt(mintData.length))),
    programAddress: TOKEN_PROGRAM_ADDRESS,
    space: BigInt(mintData.length),
  });
  chain.svm.airdrop(authority.account.address, lamports(10n * LAMPORTS_PER_SOL));

  const payerAccounts: SvmDevPayer[] = [];
  for (const p of payers) {
    chain.svm.airdrop(p.account.address, lamports(LAMPORTS_PER_SOL));
    payerAccounts.push({ ...p.account, tokenAccount: await createTokenAccount(chain, mint, p.account.address, payerTokens) });
  }
  for (const f of feePayers) chain.svm.airdrop(f.account.address, lamports(feePayerLamports));
  const merchantAccounts: SvmDevMerchant[] = [];
  for (const m of merchants) {
    merchantAccounts.push({ ...m.account, tokenAccount: await createTokenAccount(chain, mint, m.account.address, 0n) });
  }

  const server = await serveSvmRpc(chain, opts.port ?? 0);
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    network: SVM_DEVCHAIN_NETWORK,
    mint,
    mintAuthority: authority.account,
    payers: payerAccounts,
    feePayers: feePayers.map((f) => f.account),
    merchants: merchantAccounts,
    chain,
    signer: (account) => createKeyPairSignerFromPrivateKeyBytes(base58.decode(account.secretKey).slice(0, 32)),
    stop: () => (stopped ??= server.close()),
  };
}

/** What the deployment file records of a running SVM devchain; `rpcUrl` as other processes reach it. */
export function svmDeploymentOf(dev: SvmDevchain, rpcUrl: string = dev.url): SvmDeployment {
  return {
    network: dev.network,
    v1Name: SVM_DEVCHAIN_V1_NAME,
    rpcUrl,
    mint: { address: dev.mint, decimals: SVM_DEVCHAIN_DECIMALS, tokenProgram: TOKEN_PROGRAM_ADDRESS },
    feePayers: dev.feePayers,
    payers: dev.payers,
    payTo: dev.merchants,
  };
}
