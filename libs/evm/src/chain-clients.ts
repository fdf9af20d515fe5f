import { Chain, createPublicClient, defineChain, PublicClient } from 'viem';
import { keepAliveTransport } from './rpc-transport';

/** Minimal description of an EVM network a client is built for. */
export interface ChainEndpoint {
  network: `eip155:${number}`;
  chainId: number;
  rpcUrl: string;
  multicall3: `0x${string}`;
}

/** A viem Chain for an endpoint, with Multicall3 declared so reads can be batched. */
export function chainOf(endpoint: ChainEndpoint): Chain {
  return defineChain({
    id: endpoint.chainId,
    name: endpoint.network,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [endpoint.rpcUrl] } },
    contracts: { multicall3: { address: endpoint.multicall3 } },
  });
}

/**
 * One read client per network. Concurrent `readContract` calls made in the same tick are folded into
 * one `Multicall3.aggregate3` eth_call (viem multicall batching), and every JSON-RPC request of one
 * event-loop turn travels in one keep-alive HTTP request ({@link keepAliveTransport}), so a burst of
 * verifies costs a handful of round trips instead of three per verify.
 */
export class ChainClients {
  private readonly clients = new Map<string, PublicClient>();
  private readonly endpoints = new Map<string, ChainEndpoint>();

  constructor(endpoints: ChainEndpoint[]) {
    for (const e of endpoints) {
      this.endpoints.set(e.network, e);
      this.clients.set(
        e.network,
        createPublicClient({
          chain: chainOf(e),
          transport: keepAliveTransport(e.rpcUrl, { timeoutMs: 10_000, maxBatchSize: 100 }),
          batch: { multicall: { wait: 0, batchSize: 64 * 1024 } },
          pollingInterval: 250,
        }) as PublicClient,
      );
    }
  }

  /** @throws Error when the network is not configured. */
  get(network: string): PublicClient {
    const c = this.clients.get(network);
    if (!c) throw new Error(`network ${network} is not configured`);
    return c;
  }

  /** Multicall3 address of a network. @throws Error when the network is not configured. */
  multicall3(network: string): `0x${string}` {
    const e = this.endpoints.get(network);
    if (!e) throw new Error(`network ${network} is not configured`);
    return e.multicall3;
  }

  has(network: string): boolean {
    return this.clients.has(network);
  }
}
