import { defineChain, type Chain } from 'viem';
import { MULTICALL3_ADDRESS } from './constants';

/**
 * viem `Chain` for a devchain. Declares the Multicall3 address so viem's
 * `publicClient.multicall` works without extra configuration.
 *
 * @param chainId EIP-155 chain id the node was started with.
 * @param rpcUrl  HTTP JSON-RPC URL of the node.
 */
export function devchainViemChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `Tollgate devchain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
    testnet: true,
  });
}
