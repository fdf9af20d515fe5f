/**
 * The mnemonic anvil uses by default. Every key derived from it is public
 * knowledge: never use these keys, or this mnemonic, on a real network.
 */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Address of the canonical Multicall3 on every major chain; we install our own code there. */
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11' as const;

export const DEFAULT_CHAIN_ID = 31337;

/** Fixed by the token contract, like USDC. One whole token = 10^6 atomic units. */
export const TOKEN_DECIMALS = 6;

/**
 * BIP-44 address indices (m/44'/60'/0'/0/<index>) of the derived accounts.
 * Roles live in disjoint ranges so that changing one count never shifts the
 * keys of another role: relayers 1..99, payers 100..199, payTo 200..
 */
export const DEPLOYER_ADDRESS_INDEX = 0;
export const RELAYER_ADDRESS_INDEX_BASE = 1;
export const PAYER_ADDRESS_INDEX_BASE = 100;
export const PAY_TO_ADDRESS_INDEX_BASE = 200;

/** Tokens minted to each payer by default, in atomic units: 1 000 000 whole tokens. */
export const DEFAULT_PAYER_FUNDING_ATOMIC = 1_000_000n * 10n ** BigInt(TOKEN_DECIMALS);
