/// <reference path="../apps/demo/src/x402-modules.d.ts" />
/// <reference path="./x402-facilitator-modules.d.ts" />
/**
 * The reference facilitator the benchmark compares Tollgate with: the official `x402Facilitator`
 * (@x402/core) with the official `exact` EVM scheme (@x402/evm) registered for the devchain network, served
 * by express exactly as the SDK's example facilitator (examples/typescript/facilitator/basic) serves it:
 * POST /verify, POST /settle, GET /supported, no lifecycle hooks (their console logging would only slow it).
 *
 * Configured at its best for a local chain:
 * - the relayer account carries viem's `nonceManager`, so concurrent settles take consecutive nonces
 *   locally instead of all reading the same pending count (without it they collide: "nonce too low" /
 *   replacement-underpriced failures);
 * - receipt polling every `REFERENCE_POLL_MS` (default 50 ms) instead of viem's 4 s default, so a settle
 *   returns as soon as anvil (automine) has the receipt.
 * Everything else is the SDK's default (no JSON-RPC batching, simulate at verify, not at settle).
 *
 * Run as its own process (the parent measures its CPU and memory):
 *   REFERENCE_RPC_URL=… REFERENCE_CHAIN_ID=31337 REFERENCE_RELAYER_KEY=0x… [REFERENCE_PORT=0] \
 *     node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/reference-facilitator.ts
 * It prints `LISTENING <port>` once it accepts requests.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createWalletClient, http, nonceManager, publicActions, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { devchainViemChain } from '@tollgate/devchain';

/** Settings of the reference facilitator (from its environment). */
export interface ReferenceSettings {
  rpcUrl: string;
  chainId: number;
  relayerKey: Hex;
  port: number;
  pollMs: number;
  /** Bound on one settle's receipt wait (the SDK's default is 180 s). */
  confirmationTimeoutMs: number;
}

/** Builds the official facilitator for one EVM chain, with a nonce-managed relayer. */
export function buildReferenceFacilitator(s: ReferenceSettings): x402Facilitator {
  const chain = devchainViemChain(s.chainId, s.rpcUrl);
  const account = privateKeyToAccount(s.relayerKey, { nonceManager });
  const client = createWalletClient({ account, chain, transport: http(s.rpcUrl), pollingInterval: s.pollMs }).extend(publicActions);
  // The same adapter the SDK's example facilitator writes by hand, through the SDK's own helper.
  const signer = toFacilitatorEvmSigner(
    {
      address: account.address,
      getCode: (args) => client.getCode(args),
      readContract: (args) => client.readContract({ ...args, args: args.args ?? [] } as Parameters<typeof client.readContract>[0]),
      verifyTypedData: (args) => client.verifyTypedData(args as Parameters<typeof client.verifyTypedData>[0]),
      writeContract: (args) => client.writeContract({ ...args, args: args.args ?? [] } as unknown as Parameters<typeof client.writeContract>[0]),
      sendTransaction: (args) => client.sendTransaction(args),
      waitForTransactionReceipt: (args) => client.waitForTransactionReceipt({ ...args, pollingInterval: s.pollMs }),
    },
    { confirmationTimeoutMs: s.confirmationTimeoutMs },
  );
  return new x402Facilitator().register(`eip155:${s.chainId}`, new ExactEvmScheme(signer));
}

/** Reads {@link ReferenceSettings} from the environment. */
function settingsFromEnv(env: NodeJS.ProcessEnv): ReferenceSettings {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  return {
    rpcUrl: need('REFERENCE_RPC_URL'),
    chainId: Number(need('REFERENCE_CHAIN_ID')),
    relayerKey: need('REFERENCE_RELAYER_KEY') as Hex,
    port: Number(env.REFERENCE_PORT ?? 0),
    pollMs: Number(env.REFERENCE_POLL_MS ?? 50),
    confirmationTimeoutMs: Number(env.REFERENCE_CONFIRMATION_TIMEOUT_MS ?? 30_000),
  };
}

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const facilitator = buildReferenceFacilitator(settings);
  const app = express();
  app.use(express.json({ limit: '64kb' }));
  app.post('/verify', async (req, res) => {
    const { paymentPayload, paymentRequirements } = (req.body ?? {}) as { paymentPayload?: PaymentPayload; paymentRequirements?: PaymentRequirements };
    if (!paymentPayload || !paymentRequirements) return void res.status(400).json({ error: 'Missing paymentPayload or paymentRequirements' });
    try {
      res.json(await facilitator.verify(paymentPayload, paymentRequirements));
    } catch (e) {
      res.status(500).json({ error: (e as Error).message });
    }
  });
  app.post('/settle', async (req, res) => {
    const { paymentPayload, paymentRequirements } = (req.body ?? {}) as { paymentPayload?: PaymentPayload; paymentRequirements?: PaymentRequirements };
    if (!paymentPayload || !paymentRequirements) return void res.status(400).json({ error: 'Missing paymentPayload or paymentRequirements' });
    try {
      res.json(await facilitator.settle(paymentPayload, paymentRequirements));
    } catch (e) {
      res.status(500).json({ error: (e as Error).message });
    }
  });
  app.get('/supported', (_req, res) => {
    res.json(facilitator.getSupported());
  });
  const server = app.listen(settings.port, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`reference facilitator failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
