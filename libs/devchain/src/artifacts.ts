import type { Abi, Hex } from 'viem';
import {
  compilerInfo,
  eip3009TokenAbi,
  eip3009TokenBytecode,
  eip3009TokenDeployedBytecode,
  erc1271WalletAbi,
  erc1271WalletBytecode,
  erc1271WalletDeployedBytecode,
  multicall3Abi,
  multicall3Bytecode,
  multicall3DeployedBytecode,
} from './artifacts/abis';

export * from './artifacts/abis';

/**
 * A compiled contract as committed under `artifacts/`. `abi` keeps its literal
 * (`as const`) type so viem infers function names, arguments and return types.
 * `bytecode` is creation code (constructor included), `deployedBytecode` is the
 * runtime code that `anvil_setCode` expects.
 */
export interface DevchainArtifact<TAbi extends Abi = Abi> {
  contractName: string;
  abi: TAbi;
  bytecode: Hex;
  deployedBytecode: Hex;
  compiler: { version: string; evmVersion: string; optimizerRuns: number };
}

/** USDC-like ERC-20 with EIP-3009. Constructor: `(string name, string version, string symbol)`. */
export const eip3009TokenArtifact = {
  contractName: 'EIP3009Token',
  abi: eip3009TokenAbi,
  bytecode: eip3009TokenBytecode,
  deployedBytecode: eip3009TokenDeployedBytecode,
  compiler: compilerInfo,
} as const satisfies DevchainArtifact;

/** Multicall3-compatible batcher; installed with `anvil_setCode`, so use `deployedBytecode`. */
export const multicall3Artifact = {
  contractName: 'Multicall3',
  abi: multicall3Abi,
  bytecode: multicall3Bytecode,
  deployedBytecode: multicall3DeployedBytecode,
  compiler: compilerInfo,
} as const satisfies DevchainArtifact;

/** Test smart wallet with one ECDSA owner. Constructor: `(address owner)`. */
export const erc1271WalletArtifact = {
  contractName: 'ERC1271Wallet',
  abi: erc1271WalletAbi,
  bytecode: erc1271WalletBytecode,
  deployedBytecode: erc1271WalletDeployedBytecode,
  compiler: compilerInfo,
} as const satisfies DevchainArtifact;
