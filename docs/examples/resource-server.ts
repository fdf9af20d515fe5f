// A paid API whose facilitator is Tollgate: the official @x402/express middleware, unchanged.
// Run: TOLLGATE_API_KEY=tg_… PAY_TO=0x… npx ts-node -T docs/examples/resource-server.ts
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';

const tollgateUrl = process.env.TOLLGATE_URL ?? 'http://127.0.0.1:4020';
const apiKey = process.env.TOLLGATE_API_KEY; // tg_… from `npm run merchant -- create`
const payTo = process.env.PAY_TO; // one of that merchant's payTo addresses
if (!apiKey || !payTo) throw new Error('set TOLLGATE_API_KEY and PAY_TO');

// /verify and /settle take the merchant key; /supported is public. Add
// 'x-tollgate-settlement-mode': 'confirmed' to `settle` to wait for the transaction hash.
const auth = { Authorization: `Bearer ${apiKey}` };
const facilitator = new HTTPFacilitatorClient({
  url: tollgateUrl,
  createAuthHeaders: async () => ({ verify: auth, settle: auth, supported: {} }),
});

// On a real network a dollar price is enough: the SDK knows its USDC (e.g. NETWORK=eip155:84532,
// Base Sepolia). The devchain token is Tollgate's own, so name it: atomic units (6 decimals), its
// address and its EIP-712 domain, from the file `npm run devchain` writes.
const network = (process.env.NETWORK ?? 'eip155:31337') as `${string}:${string}`;
function devchainPrice(atomicUnits: string) {
  const { token } = JSON.parse(readFileSync(process.env.DEVCHAIN_FILE ?? '.devchain/deployment.json', 'utf8'));
  return { amount: atomicUnits, asset: token.address, extra: { name: token.name, version: token.version } };
}
const price = network === 'eip155:31337' ? devchainPrice('1000') : '$0.001';

const server = new x402ResourceServer(facilitator).register(network, new ExactEvmScheme());
const app = express();
app.use(
  paymentMiddleware(
    {
      'GET /weather': {
        // maxTimeoutSeconds: the authorization must outlive Tollgate's settlement window (30 s by default).
        accepts: { scheme: 'exact', network, payTo, price, maxTimeoutSeconds: 300 },
        description: "Today's weather",
        mimeType: 'application/json',
      },
    },
    server,
  ),
);
app.get('/weather', (_req, res) => {
  res.json({ weather: 'sunny', paid: true });
});
const listener = app.listen(Number(process.env.PORT ?? 4402), '127.0.0.1', () => {
  console.log(`resource server on http://127.0.0.1:${(listener.address() as AddressInfo).port}/weather`);
});
