import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  getAddress,
  http,
  parseEther,
  toHex,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
} from 'viem';
import { mnemonicToAccount, privateKeyToAccount, type HDAccount } from 'viem/accounts';
import { eip3009TokenArtifact, erc1271WalletArtifact, multicall3Artifact } from './artifacts';
import { devchainViemChain } from './chain';
import type { SvmDeployment } from './svm';
import {
  ANVIL_MNEMONIC,
  DEFAULT_PAYER_FUNDING_ATOMIC,
  DEPLOYER_ADDRESS_INDEX,
  MULTICALL3_ADDRESS,
  PAYER_ADDRESS_INDEX_BASE,
  PAY_TO_ADDRESS_INDEX_BASE,
  RELAYER_ADDRESS_INDEX_BASE,
  TOKEN_DECIMALS,
} from './constants';

/** A key pair derived from the anvil mnemonic. Public test keys: worthless outside a devchain. */
export interface DevchainAccount {
  address: `0x${string}`;
  privateKey: `0x${string}`;
}

/** Everything other processes need to use a deployed devchain. JSON-safe (no bigints). */
export interface DevchainDeployment {
  /** CAIP-2 id, e.g. `eip155:31337`. */
  network: `eip155:${number}`;
  chainId: number;
  rpcUrl: string;
  /** `name` and `version` are the EIP-712 domain fields; `decimals` is always 6. */
  token: { address: `0x${string}`; name: string; version: string; symbol: string; decimals: number };
  multicall3: `0x${string}`;
  /** Anvil account 0; owns the token (only it can mint). */
  deployer: DevchainAccount;
  /** Hold 10 000 ETH each, no tokens. Mnemonic indices 1.. */
  relayers: DevchainAccount[];
  /** Hold tokens, no ETH (they only sign authorizations). Mnemonic indices 100.. */
  payers: DevchainAccount[];
  /** Receivers of payments; start empty. Mnemonic indices 200.. */
  payTo: DevchainAccount[];
  /** ISO-8601 timestamp of the deployment. */
  deployedAt: string;
  /** The Solana devchain started beside anvil (`npm run devchain`); absent in files of older runs. */
  solana?: SvmDeployment;
}

/** Options for {@link deployDevchain}. */
export interface DeployDevchainOptions {
  /** EIP-712 domain name and ERC-20 name. Default "USD Coin". */
  tokenName?: string;
  /** EIP-712 domain version. Default "2". */
  tokenVersion?: string;
  /** Default "USDC". */
  tokenSymbol?: string;
  /** Number of funded payers, 0-100. Default 10. */
  payerCount?: number;
  /** Tokens minted to each payer, in atomic units (10^-6 token). Default 1 000 000 tokens = 10^12. */
  payerFundingAtomic?: bigint;
  /** Number of relayers, 0-99. Default 2. */
  relayerCount?: number;
  /** Number of payTo addresses, 0-1000. Default 3. */
  payToCount?: number;
}

/** Options for {@link deployErc1271Wallet}. */
export interface DeployErc1271WalletOptions {
  /** Tokens to mint to the new wallet, in atomic units. Default 0 (none). */
  fundAtomic?: bigint;
}

const FUNDED_ETH_BALANCE = parseEther('10000');
/** Below this the deployer is topped up, e.g. when anvil was started with `accounts: 0`. */
const DEPLOYER_MIN_BALANCE = parseEther('1');
const RECEIPT_POLL_MS = 50;

const derivedAccounts = new Map<number, DevchainAccount>();

/**
 * Derives the account at `m/44'/60'/0'/0/<addressIndex>` of the anvil mnemonic.
 * Results are cached: each derivation costs ~20 ms of PBKDF2 and tests deploy often.
 *
 * @throws RangeError for a negative or non-integer index.
 */
export function devchainAccount(addressIndex: number): DevchainAccount {
  if (!Number.isInteger(addressIndex) || addressIndex < 0) {
    throw new RangeError(`devchainAccount: addressIndex must be a non-negative integer, got ${addressIndex}`);
  }
  let account = derivedAccounts.get(addressIndex);
  if (!account) {
    const hd: HDAccount = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex });
    const key = hd.getHdKey().privateKey;
    if (!key) throw new Error(`devchainAccount: no private key at index ${addressIndex}`);
    account = { address: hd.address, privateKey: toHex(key) };
    derivedAccounts.set(addressIndex, account);
  }
  return account;
}

function accountRange(base: number, count: number): DevchainAccount[] {
  return Array.from({ length: count }, (_, i) => devchainAccount(base + i));
}

function checkCount(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`deployDevchain: ${name} must be an integer 0-${max}, got ${value}`);
  }
}

interface Clients {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<'anvil', Transport, Chain>;
}

async function connect(rpcUrl: string): Promise<Clients> {
  const transport = http(rpcUrl, { retryCount: 0, timeout: 30_000 });
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = devchainViemChain(chainId, rpcUrl);
  return {
    chain,
    publicClient: createPublicClient({ chain, transport, pollingInterval: RECEIPT_POLL_MS }),
    testClient: createTestClient({ mode: 'anvil', chain, transport, pollingInterval: RECEIPT_POLL_MS }),
  };
}

/**
 * Waits for receipts of transactions already sent. When the node does not
 * automine (interval mining or `noMining`), one block is mined on demand so
 * deployment neither waits a block time nor hangs forever.
 *
 * @throws Error naming `what` if any transaction reverted.
 */
async function confirm(clients: Clients, hashes: Hash[], what: string) {
  if (hashes.length === 0) return [];
  if (!(await clients.testClient.getAutomine())) await clients.testClient.mine({ blocks: 1 });
  const receipts = await Promise.all(
    hashes.map((hash) => clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: RECEIPT_POLL_MS })),
  );
  const failed = receipts.filter((r) => r.status !== 'success');
  if (failed.length > 0) throw new Error(`${what}: transaction ${failed[0].transactionHash} reverted`);
  return receipts;
}

async function ensureDeployerFunded(clients: Clients, deployer: Address): Promise<void> {
  const balance = await clients.publicClient.getBalance({ address: deployer });
  if (balance < DEPLOYER_MIN_BALANCE) {
    await clients.testClient.setBalance({ address: deployer, value: FUNDED_ETH_BALANCE });
  }
}

/**
 * Mints each `amount` (atomic units) to its `to` from the deployer. All
 * transactions are sent before any receipt is awaited, so N mints cost one
 * confirmation round trip (one block when the node does not automine).
 */
async function mintAll(
  clients: Clients,
  deployerKey: Hex,
  token: Address,
  mints: Array<{ to: Address; amount: bigint }>,
): Promise<void> {
  const wanted = mints.filter((m) => m.amount > 0n);
  if (wanted.length === 0) return;
  const account = privateKeyToAccount(deployerKey);
  const wallet = createWalletClient({ account, chain: clients.chain, transport: http(clients.chain.rpcUrls.default.http[0]) });
  // Nonces are counted locally rather than asked per send: with mining paused
  // the sends pile up unmined, and counting ourselves does not depend on how
  // the node accounts for its pending pool.
  let nonce = await clients.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const hashes: Hash[] = [];
  for (const m of wanted) {
    hashes.push(
      await wallet.writeContract({
        address: token,
        abi: eip3009TokenArtifact.abi,
        functionName: 'mint',
        args: [m.to, m.amount],
        nonce: nonce++,
      }),
    );
  }
  await confirm(clients, hashes, 'mint');
}

/**
 * Deploys the devchain fixtures to an anvil node:
 *  - an `EIP3009Token` (USDC-like, 6 decimals) owned by anvil account 0,
 *  - Multicall3 runtime code at 0xcA11bde05977b3631167028862bE2a173976CA11 (via `anvil_setCode`),
 *  - relayers funded with 10 000 ETH each (via `anvil_setBalance`),
 *  - payers minted `payerFundingAtomic` tokens each (no ETH),
 *  - payTo addresses (derived only, nothing sent).
 * All keys are derived from the public anvil mnemonic, so the same options
 * always yield the same addresses. Works with automine, interval mining and
 * `noMining` nodes.
 *
 * @param rpcUrl HTTP JSON-RPC URL of an anvil node (anvil_* methods are required).
 * @throws RangeError for out-of-range counts; Error if the node is unreachable,
 *   is not anvil, or a deployment transaction reverts.
 */
export async function deployDevchain(rpcUrl: string, options: DeployDevchainOptions = {}): Promise<DevchainDeployment> {
  const tokenName = options.tokenName ?? 'USD Coin';
  const tokenVersion = options.tokenVersion ?? '2';
  const tokenSymbol = options.tokenSymbol ?? 'USDC';
  const payerCount = options.payerCount ?? 10;
  const relayerCount = options.relayerCount ?? 2;
  const payToCount = options.payToCount ?? 3;
  const payerFundingAtomic = options.payerFundingAtomic ?? DEFAULT_PAYER_FUNDING_ATOMIC;
  checkCount('payerCount', payerCount, PAY_TO_ADDRESS_INDEX_BASE - PAYER_ADDRESS_INDEX_BASE);
  checkCount('relayerCount', relayerCount, PAYER_ADDRESS_INDEX_BASE - RELAYER_ADDRESS_INDEX_BASE);
  checkCount('payToCount', payToCount, 1000);
  if (payerFundingAtomic < 0n) throw new RangeError('deployDevchain: payerFundingAtomic must not be negative');

  const deployer = devchainAccount(DEPLOYER_ADDRESS_INDEX);
  const relayers = accountRange(RELAYER_ADDRESS_INDEX_BASE, relayerCount);
  const payers = accountRange(PAYER_ADDRESS_INDEX_BASE, payerCount);
  const payTo = accountRange(PAY_TO_ADDRESS_INDEX_BASE, payToCount);

  const clients = await connect(rpcUrl);
  const { chain, publicClient, testClient } = clients;

  await Promise.all([
    testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: multicall3Artifact.deployedBytecode }),
    ...relayers.map((r) => testClient.setBalance({ address: r.address, value: FUNDED_ETH_BALANCE })),
    ensureDeployerFunded(clients, deployer.address),
  ]);

  const wallet = createWalletClient({ account: privateKeyToAccount(deployer.privateKey), chain, transport: http(rpcUrl) });
  const deployHash = await wallet.deployContract({
    abi: eip3009TokenArtifact.abi,
    bytecode: eip3009TokenArtifact.bytecode,
    args: [tokenName, tokenVersion, tokenSymbol],
  });
  const [deployReceipt] = await confirm(clients, [deployHash], 'EIP3009Token deployment');
  if (!deployReceipt.contractAddress) {
    throw new Error(`EIP3009Token deployment: receipt ${deployHash} has no contract address`);
  }
  // Receipts carry lowercase addresses; checksum them so they compare equal to
  // what viem and the other libraries produce.
  const tokenAddress = getAddress(deployReceipt.contractAddress);

  await mintAll(
    clients,
    deployer.privateKey,
    tokenAddress,
    payers.map((p) => ({ to: p.address, amount: payerFundingAtomic })),
  );

  const multicallCode = await publicClient.getCode({ address: MULTICALL3_ADDRESS });
  if (!multicallCode || multicallCode === '0x') throw new Error('deployDevchain: anvil_setCode for Multicall3 did not take effect');

  return {
    network: `eip155:${chain.id}`,
    chainId: chain.id,
    rpcUrl,
    token: { address: tokenAddress, name: tokenName, version: tokenVersion, symbol: tokenSymbol, decimals: TOKEN_DECIMALS },
    multicall3: MULTICALL3_ADDRESS,
    deployer,
    relayers,
    payers,
    payTo,
    deployedAt: new Date().toISOString(),
  };
}

/**
 * Deploys an `ERC1271Wallet` owned by `owner` and, if `fundAtomic > 0`, mints
 * it that many atomic token units. Sent from `deployment.deployer`; do not run
 * concurrently with other deployer transactions (nonces would collide).
 *
 * @param owner EOA whose ECDSA signatures the wallet accepts via ERC-1271.
 * @returns The wallet's address.
 * @throws Error if a transaction reverts or the node is unreachable.
 */
export async function deployErc1271Wallet(
  rpcUrl: string,
  deployment: DevchainDeployment,
  owner: Address,
  options: DeployErc1271WalletOptions = {},
): Promise<Address> {
  const fundAtomic = options.fundAtomic ?? 0n;
  if (fundAtomic < 0n) throw new RangeError('deployErc1271Wallet: fundAtomic must not be negative');
  const clients = await connect(rpcUrl);
  const wallet = createWalletClient({
    account: privateKeyToAccount(deployment.deployer.privateKey),
    chain: clients.chain,
    transport: http(rpcUrl),
  });
  const hash = await wallet.deployContract({
    abi: erc1271WalletArtifact.abi,
    bytecode: erc1271WalletArtifact.bytecode,
    args: [owner],
  });
  const [receipt] = await confirm(clients, [hash], 'ERC1271Wallet deployment');
  if (!receipt.contractAddress) throw new Error(`ERC1271Wallet deployment: receipt ${hash} has no contract address`);
  const address = getAddress(receipt.contractAddress);

  await mintAll(clients, deployment.deployer.privateKey, deployment.token.address, [{ to: address, amount: fundAtomic }]);
  return address;
}
