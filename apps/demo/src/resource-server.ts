/// <reference path="./x402-modules.d.ts" />
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPFacilitatorClient } from '@x402/core/server';
import type { RoutesConfig } from '@x402/core/server';
import { convertToTokenAmount } from '@x402/core/utils';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { ExactSvmScheme } from '@x402/svm/exact/server';
import { SETTLEMENT_MODE_HEADER } from '@tollgate/protocol';

export { SETTLEMENT_MODE_HEADER };

/** One paid route of the demo API. */
export interface DemoRoute {
  path: string;
  /** Price in dollars as the middleware takes it ("$0.001"); 1 dollar = 1 whole devchain token. */
  price: string;
  description: string;
}

/** The demo's priced routes. Prices differ so that batches mix amounts, as real traffic does. */
export const DEMO_ROUTES: readonly DemoRoute[] = Object.freeze([
  { path: '/weather', price: '$0.001', description: "Today's weather, one call" },
  { path: '/quote', price: '$0.0025', description: 'A stock quote' },
  { path: '/report', price: '$0.01', description: 'A premium market report' },
]);


/** Where and in what an EVM route is paid: the devchain token, with its EIP-712 domain (clients sign over it). */
export interface EvmPricing {
  /** CAIP-2 network of the devchain, e.g. `eip155:31337`. */
  network: `eip155:${number}`;
  token: { address: `0x${string}`; name: string; version: string; decimals: number };
  payTo: `0x${string}`;
}

/** Where and in what a Solana route is paid: an SPL mint (base58) and the payee's owner address. */
export interface SvmPricing {
  /** CAIP-2, e.g. `solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1` (the devchain poses as devnet). */
  network: string;
  mint: string;
  decimals: number;
  /** The payee's owner address; its associated token account of the mint must exist. */
  payTo: string;
}

/** Options of {@link startResourceServer}. At least one of `evm` and `solana`. */
export interface ResourceServerOptions {
  /** Tollgate's base URL. */
  facilitatorUrl: string;
  /** The merchant's Tollgate API key (`tg_…`). */
  apiKey: string;
  /** Accept payment on an EVM network (one `accepts` entry per route). */
  evm?: EvmPricing;
  /** Accept payment on a Solana network (one `accepts` entry per route, after the EVM one). */
  solana?: SvmPricing;
  /** `confirmed` sends `x-tollgate-settlement-mode: confirmed` on every `/settle`; default: merchant policy. */
  settlementMode?: 'deferred' | 'confirmed';
  /** Seconds an EVM authorization stays valid; well above Tollgate's settlement window (30 s by default). */
  maxTimeoutSeconds?: number;
  routes?: readonly DemoRoute[];
  /** Default 0: a free port. */
  port?: number;
}

/** A running resource server. */
export interface RunningResourceServer {
  url: string;
  routes: readonly DemoRoute[];
  /** Paid responses the handlers produced (the middleware releases them only after a successful settle). */
  served(): number;
  stop(): Promise<void>;
}

/**
 * Tollgate's auth headers in the shape `HTTPFacilitatorClient.createAuthHeaders` wants (keyed by
 * facilitator path). `/supported` is public; verify and settle carry the merchant key, and settle the
 * optional per-request mode override.
 */
export function tollgateAuthHeaders(apiKey: string, settlementMode?: 'deferred' | 'confirmed') {
  const auth = { Authorization: `Bearer ${apiKey}` };
  return async () => ({
    verify: auth,
    settle: settlementMode ? { ...auth, [SETTLEMENT_MODE_HEADER]: settlementMode } : auth,
    supported: {},
  });
}

/**
 * A merchant's paid API built the way the x402 docs show: express + `paymentMiddleware` from
 * `@x402/express`, an `x402ResourceServer` whose facilitator is Tollgate (`HTTPFacilitatorClient` with the
 * merchant key), and the stock server schemes — `ExactEvmScheme` from `@x402/evm`, `ExactSvmScheme` from
 * `@x402/svm` — each with a money parser that prices dollars in the devchain's token (the SDKs have no
 * default asset for a local chain, and the Solana devchain's mint is not devnet USDC). Every route accepts
 * each configured network; the buyer picks one. The SVM scheme copies Tollgate's fee payer
 * (`/supported` → `extra.feePayer`) into its requirements.
 *
 * Resolves once the middleware has loaded Tollgate's `/supported` and answers an unpaid request with 402,
 * so a misconfiguration fails here rather than on the first paid call.
 *
 * @throws Error when the middleware does not answer 402 (its body says why: e.g. network not supported).
 */
export async function startResourceServer(opts: ResourceServerOptions): Promise<RunningResourceServer> {
  const routes = opts.routes ?? DEMO_ROUTES;
  const { evm, solana } = opts;
  if (!evm && !solana) throw new Error('startResourceServer: no network to accept payment on (evm, solana)');
  const facilitator = new HTTPFacilitatorClient({
    url: opts.facilitatorUrl,
    createAuthHeaders: tollgateAuthHeaders(opts.apiKey, opts.settlementMode),
  });
  const resourceServer = new x402ResourceServer(facilitator);
  if (evm) {
    const { token } = evm;
    const scheme = new ExactEvmScheme().registerMoneyParser(async (amount, forNetwork) =>
      forNetwork === evm.network
        ? { amount: convertToTokenAmount(String(amount), token.decimals), asset: token.address, extra: { name: token.name, version: token.version } }
        : null,
    );
    resourceServer.register(evm.network, scheme);
  }
  if (solana) {
    const scheme = new ExactSvmScheme().registerMoneyParser(async (amount, forNetwork) =>
      forNetwork === solana.network ? { amount: convertToTokenAmount(String(amount), solana.decimals), asset: solana.mint } : null,
    );
    resourceServer.register(solana.network as `solana:${string}`, scheme);
  }

  const routesConfig: RoutesConfig = Object.fromEntries(
    routes.map((r) => [
      `GET ${r.path}`,
      {
        accepts: [
          ...(evm ? [{ scheme: 'exact', network: evm.network, payTo: evm.payTo, price: r.price, maxTimeoutSeconds: opts.maxTimeoutSeconds ?? 300 }] : []),
          // A Solana payment lives as long as its blockhash (60-90 s), whatever maxTimeoutSeconds says; 60 says so.
          ...(solana ? [{ scheme: 'exact', network: solana.network as `solana:${string}`, payTo: solana.payTo, price: r.price, maxTimeoutSeconds: 60 }] : []),
        ],
        description: r.description,
        mimeType: 'application/json',
      },
    ]),
  );

  let served = 0;
  const app = express();
  app.disable('x-powered-by');
  app.use(paymentMiddleware(routesConfig, resourceServer));
  for (const r of routes) {
    app.get(r.path, (_req, res) => {
      served++;
      res.json({ route: r.path, paid: true, content: `${r.description} (priced ${r.price})`, servedAt: new Date().toISOString() });
    });
  }

  const server: Server = await new Promise((resolveServer, reject) => {
    // Express 5 hands listen errors to the callback.
    const s = app.listen(opts.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolveServer(s)));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () =>
    new Promise<void>((resolveStop) => {
      server.closeAllConnections();
      server.close(() => resolveStop());
    });

  const probe = await fetch(`${url}${routes[0].path}`).catch((e: Error) => e);
  if (probe instanceof Error || probe.status !== 402) {
    await stop();
    const detail = probe instanceof Error ? probe.message : `HTTP ${probe.status}: ${(await probe.text()).slice(0, 300)}`;
    throw new Error(`the resource server's payment middleware is not ready (${detail})`);
  }
  return { url, routes, served: () => served, stop };
}
