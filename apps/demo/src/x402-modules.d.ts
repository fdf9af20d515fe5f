/**
 * Type resolution for the official x402 packages under this repository's `moduleResolution: "node"`.
 *
 * Why this file exists: the packages publish CommonJS builds (so plain `require` and ts-jest work), but
 * their types are reachable only through package.json `exports` (subpaths like `@x402/core/server`), and
 * their top-level `types` field points at a file they do not ship (`./dist/index.d.ts`). The classic
 * resolver ignores `exports`, so without this every import would be untyped or an error. Switching the
 * repository to `node16` resolution is not an option: viem's types then resolve to its ESM build and every
 * CommonJS file importing viem stops compiling.
 *
 * Each declaration re-exports the CommonJS `.d.ts` that `exports.require.types` names. Types only: at run
 * time Node's resolver (and jest's) follow `exports` as usual, so nothing here changes which code runs.
 * `npm run lint` sees this file through tsconfig `include`; files importing these packages also reference it
 * (`/// <reference path>`) so that ts-node without `-T`, which compiles only the import graph, sees it too.
 */
declare module '@x402/core/client' {
  export * from '@x402/core/dist/cjs/client/index';
}
declare module '@x402/core/facilitator' {
  export * from '@x402/core/dist/cjs/facilitator/index';
}
declare module '@x402/core/http' {
  export * from '@x402/core/dist/cjs/http/index';
}
declare module '@x402/core/server' {
  export * from '@x402/core/dist/cjs/server/index';
}
declare module '@x402/core/types' {
  export * from '@x402/core/dist/cjs/types/index';
}
declare module '@x402/core/utils' {
  export * from '@x402/core/dist/cjs/utils/index';
}
declare module '@x402/evm/exact/client' {
  export * from '@x402/evm/dist/cjs/exact/client/index';
}
declare module '@x402/evm/exact/server' {
  export * from '@x402/evm/dist/cjs/exact/server/index';
}
declare module '@x402/fetch' {
  export * from '@x402/fetch/dist/cjs/index';
}
declare module '@x402/express' {
  export * from '@x402/express/dist/cjs/index';
}

// The 1.x packages (used by the v1 interop test) get small hand-written declarations instead: their types
// import `viem/chains`, which drags ox's TypeScript sources (browser-only WebAuthn types) into the program.
// Only what Tollgate's tests call is declared; the shapes are copied from the packages' own `.d.ts`.
declare module 'x402-express' {
  import type { NextFunction, Request, Response } from 'express';

  /** v1 price: dollars ("$0.001") or an explicit token amount with the token's EIP-712 domain. */
  export type Money = string | number;
  export interface ERC20TokenAmount {
    amount: string;
    asset: { address: `0x${string}`; decimals: number; eip712: { name: string; version: string } };
  }
  /** v1 price on Solana: an explicit SPL token amount (the mint and its decimals). */
  export interface SPLTokenAmount {
    amount: string;
    asset: { address: string; decimals: number };
  }
  export interface RouteConfig {
    price: Money | ERC20TokenAmount | SPLTokenAmount;
    network: string;
    config?: { description?: string; mimeType?: string; maxTimeoutSeconds?: number; resource?: string; discoverable?: boolean };
  }
  export type RoutesConfig = Record<string, RouteConfig | Money>;
  export interface FacilitatorConfig {
    url: `${string}://${string}`;
    createAuthHeaders?: () => Promise<{ verify: Record<string, string>; settle: Record<string, string>; supported: Record<string, string> }>;
  }
  /** `payTo`: a 0x address on EVM networks, a base58 owner address on `solana` / `solana-devnet`. */
  export function paymentMiddleware(
    payTo: string,
    routes: RoutesConfig,
    facilitator?: FacilitatorConfig,
  ): (req: Request, res: Response, next: NextFunction) => Promise<void>;
}

declare module 'x402-fetch' {
  /** A viem wallet client (with `chain` and an account) or a local account. */
  export type Signer = object;
  /** `svmConfig.rpcUrl`: the Solana RPC the client reads the mint and a blockhash from (default: the public devnet/mainnet RPC). */
  export interface X402Config {
    svmConfig?: { rpcUrl: string };
  }
  /** `walletClient`: a viem wallet client or local account (EVM), or a `@solana/kit` KeyPairSigner (Solana). */
  export function wrapFetchWithPayment(
    fetch: typeof globalThis.fetch,
    walletClient: Signer,
    maxValue?: bigint,
    paymentRequirementsSelector?: (...args: never[]) => unknown,
    config?: X402Config,
  ): (input: RequestInfo, init?: RequestInit) => Promise<Response>;
  export function decodeXPaymentResponse(header: string): { success: boolean; transaction: string; network: string; payer: string; [key: string]: unknown };
}

// `@x402/svm`'s client and server sides (the demo's resource server and buyer on Solana). The facilitator
// side and a second copy of the client are declared in libs/devchain/src/svm/x402-svm-modules.d.ts.
declare module '@x402/svm/exact/server' {
  export * from '@x402/svm/dist/cjs/exact/server/index';
}
declare module '@x402/svm/exact/client' {
  export * from '@x402/svm/dist/cjs/exact/client/index';
}
