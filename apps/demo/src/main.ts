import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createKeyPairSignerFromPrivateKeyBytes, getBase58Encoder, type Address } from '@solana/kit';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { ConfigError } from '@tollgate/config';
import { DevchainConfigError } from '@tollgate/devchain';
import { MerchantsService } from '../../api/src';
import { ServiceUnavailableError } from './local-services';
import { runPayingClient, type AllowedAsset, type BuyerWallets, type PaidRequestResult } from './paying-client';
import { startResourceServer, type RunningResourceServer } from './resource-server';
import { startStack, type DemoStack } from './stack';
import {
  collectSummary,
  confirmedReferences,
  settlementSnapshot,
  waitForFinalStatuses,
  waitForFirstWebhookAttempts,
  type SettlementSnapshot,
} from './summary';
import { formatSummary } from './summary-format';
import { createSvmPayTo } from './svm-pay-to';
import { startWebhookReceiver, type DemoWebhookReceiver } from './webhook-receiver';

const USAGE = `usage: npm run demo -- [--network evm|solana|all] [--count N] [--concurrency N] [--mode deferred|confirmed] [--settle-timeout SECONDS] [--json]

  --network         where to pay: evm (the anvil devchain), solana (the Solana devchain, posing as devnet)
                    or all: both, requests alternating between them (default all)
  --count           paid requests to make, over all networks (default 300)
  --concurrency     requests in flight at once (default 20)
  --mode            deferred: content at once, settled in batches (default)
                    confirmed: each /settle waits for its batch; receipts carry the transaction hash
  --settle-timeout  how long to wait after the last request for every payment to be confirmed and its
                    payment.confirmed webhook to arrive (default 120)
  --json            print the summary as one JSON object on the last line of stdout

Environment: DATABASE_URL, REDIS_URL, DEVCHAIN_FILE, DEVCHAIN_PORT, API_PORT, BATCH_* … (see README).
Exit status: 0 all paid requests served, all payments confirmed, every webhook verified and every
payment.confirmed webhook received, on every network; 1 otherwise; 64 bad usage;
69 Postgres or Redis unavailable; 78 invalid configuration; 130 interrupted.`;

/** Parsed command line of the demo. */
export interface DemoOptions {
  network: 'evm' | 'solana' | 'all';
  count: number;
  concurrency: number;
  mode: 'deferred' | 'confirmed';
  settleTimeoutSeconds: number;
  json: boolean;
}

/**
 * Parses the demo's arguments.
 * @throws Error with a one-line message naming the bad flag.
 */
export function parseDemoArgs(argv: string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      network: { type: 'string', default: 'all' },
      count: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '20' },
      mode: { type: 'string', default: 'deferred' },
      'settle-timeout': { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const int = (flag: string, v: string, min: number, max: number): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got "${v}"`);
    return Number(v);
  };
  if (values.mode !== 'deferred' && values.mode !== 'confirmed') throw new Error(`--mode must be deferred or confirmed, got "${values.mode}"`);
  if (values.network !== 'evm' && values.network !== 'solana' && values.network !== 'all') throw new Error(`--network must be evm, solana or all, got "${values.network}"`);
  return {
    network: values.network,
    count: int('count', values.count, 1, 100_000),
    concurrency: int('concurrency', values.concurrency, 1, 1_000),
    mode: values.mode,
    settleTimeoutSeconds: int('settle-timeout', values['settle-timeout'], 1, 3_600),
    json: values.json,
  };
}

/**
 * One line on stderr that updates in place on a terminal; elsewhere (CI logs, pipes) a plain line every few
 * seconds, so logs stay readable. `log` prints a permanent line above it.
 */
class ProgressLine {
  private timer?: NodeJS.Timeout;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly render: () => string,
  ) {
    this.tty = out.isTTY === true;
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.draw(), this.tty ? 200 : 5_000);
    this.draw();
  }

  log(line: string): void {
    if (this.tty && this.timer) this.out.write('\r\x1b[2K');
    this.out.write(`${line}\n`);
    if (this.timer) this.draw();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.out.write('\r\x1b[2K');
    else this.out.write(`${this.render()}\n`);
  }

  private draw(): void {
    const text = this.render();
    if (this.tty) this.out.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.out.columns ?? 120) - 1))}`);
    else this.out.write(`${text}\n`);
  }
}

const STATUS_ORDER = ['verified', 'queued', 'batched', 'submitted', 'included', 'confirmed', 'failed', 'lapsed'];

/** Runs the demo; resolves with the process exit status. */
async function main(argv: string[]): Promise<number> {
  let opts: DemoOptions | 'help';
  try {
    opts = parseDemoArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = opts;
  const t0 = Date.now();
  let phase = 'starting';
  let paid = 0;
  let paidOk = 0;
  let snapshot: SettlementSnapshot = { statuses: {}, batches: 0 };
  let stack: DemoStack | undefined;
  let resourceServer: RunningResourceServer | undefined;
  let webhooks: DemoWebhookReceiver | undefined;
  const progress = new ProgressLine(process.stderr, () => {
    const statuses = STATUS_ORDER.filter((s) => snapshot.statuses[s]).map((s) => `${s} ${snapshot.statuses[s]}`).join(' · ') || 'no payments yet';
    // Distinct settling transactions: EVM batches and Solana payments' own transactions.
    const batches = `${snapshot.batches} transaction${snapshot.batches === 1 ? '' : 's'}`;
    const hooks = webhooks?.report();
    const hooksText = hooks ? ` | webhooks ${hooks.verified}/${hooks.received} verified` : '';
    return `[demo] ${phase} | paid ${paid}/${o.count} (${paidOk} served, ${paid - paidOk} failed) | ${statuses} | ${batches} on chain${hooksText} | ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  });
  const log = (line: string) => progress.log(`[demo] ${line}`);

  let snapshotTimer: NodeJS.Timeout | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      clearInterval(snapshotTimer);
      progress.stop();
      await resourceServer?.stop().catch(() => undefined);
      // Delete the endpoint while the API still runs (nothing keeps retrying towards a port that is gone),
      // stop the apps, and only then the receiver, so no attempt in flight hits a closed port.
      await webhooks?.unregister().catch(() => undefined);
      await stack?.stop();
      await webhooks?.close().catch(() => undefined);
    })());
  let interrupted = false;
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130); // second Ctrl+C: leave now (anvil dies with us via its exit hook)
    interrupted = true;
    abort.abort();
    process.stderr.write(`\n[demo] ${signal}: stopping everything the demo started…\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const useEvm = o.network !== 'solana';
    stack = await startStack(process.env, log, { solana: o.network !== 'evm' });
    const s = stack;
    const d = s.deployment;
    const sol = s.solana;
    // A fresh payTo per run and network: payTo addresses belong to one merchant forever, and a new merchant
    // per run keeps this run's payments apart from earlier ones in the summary. On Solana its token account
    // is created first (x402 clients never create the payee's).
    const payTo = privateKeyToAddress(generatePrivateKey());
    const svmSigners = sol ? await Promise.all(sol.payers.map((p) => createKeyPairSignerFromPrivateKeyBytes(getBase58Encoder().encode(p.secretKey).slice(0, 32)))) : [];
    const svmPayTo = sol ? await createSvmPayTo(sol.rpcUrl, svmSigners[0], sol.mint.address as Address, sol.mint.tokenProgram as Address) : undefined;
    const { merchant, apiKey } = await new MerchantsService(s.db).create({
      name: `Demo merchant ${new Date().toISOString()}`,
      payTo: [...(useEvm ? [payTo] : []), ...(svmPayTo ? [svmPayTo.address] : [])] as never,
    });
    // Registered over HTTP with the merchant's key, as a merchant would: the answer carries the secret once.
    webhooks = await startWebhookReceiver({ apiUrl: s.apiUrl, apiKey });
    const hooks = webhooks;
    resourceServer = await startResourceServer({
      facilitatorUrl: s.apiUrl,
      apiKey,
      evm: useEvm ? { network: d.network, token: d.token, payTo } : undefined,
      solana: sol && svmPayTo ? { network: sol.network, mint: sol.mint.address, decimals: sol.mint.decimals, payTo: svmPayTo.address } : undefined,
      settlementMode: o.mode === 'confirmed' ? 'confirmed' : undefined,
    });
    const networks = [...(useEvm ? [d.network] : []), ...(sol ? [sol.network] : [])];
    // Each buyer holds a wallet on every network paid on; requests alternate networks.
    const buyerCount = Math.min(...[useEvm ? d.payers.length : Infinity, sol ? sol.payers.length : Infinity]);
    const buyers: BuyerWallets[] = Array.from({ length: buyerCount }, (_, i) => ({
      evm: useEvm ? { network: d.network, privateKey: d.payers[i].privateKey } : undefined,
      svm: sol ? { network: sol.network, signer: svmSigners[i], rpcUrl: sol.rpcUrl } : undefined,
    }));
    // Cap each payment at one whole token: far above the demo's prices, far below a payer's balance.
    const allowedAssets: AllowedAsset[] = [
      ...(useEvm ? [{ network: d.network, asset: d.token.address, maxAmountPerPayment: (10n ** BigInt(d.token.decimals)).toString() }] : []),
      ...(sol ? [{ network: sol.network, asset: sol.mint.address, maxAmountPerPayment: (10n ** BigInt(sol.mint.decimals)).toString() }] : []),
    ];
    log(`Tollgate API ${s.apiUrl} (${s.started.length ? `started: ${s.started.join(', ')}` : 'everything reused'})`);
    log(`webhook endpoint ${hooks.endpointUrl} (${hooks.endpointId}) for every payment.* event, verified with standardwebhooks`);
    log(`resource server ${resourceServer.url} (@x402/express): ${resourceServer.routes.map((r) => `GET ${r.path} ${r.price}`).join(', ')}`);
    if (useEvm) log(`on ${d.network}: ${d.token.symbol} ${d.token.address}, payTo ${payTo}`);
    if (sol && svmPayTo) log(`on ${sol.network} (Solana devchain ${sol.rpcUrl}): mint ${sol.mint.address}, payTo ${svmPayTo.address} (token account ${svmPayTo.tokenAccount}), fee payers ${sol.feePayers.map((f) => f.address).join(', ')}`);
    log(`paying ${o.count} times with @x402/fetch from ${buyers.length} buyers on ${networks.join(' and ')}, ${o.concurrency} at a time, ${o.mode} settlement`);

    const refresh = () =>
      void settlementSnapshot(s.db, merchant.id).then(
        (snap) => (snapshot = snap),
        () => undefined,
      );
    snapshotTimer = setInterval(refresh, 500);
    phase = 'paying';
    progress.start();
    const results: PaidRequestResult[] = await runPayingClient({
      baseUrl: resourceServer.url,
      paths: resourceServer.routes.map((r) => r.path),
      networks,
      buyers,
      allowedAssets,
      count: o.count,
      concurrency: o.concurrency,
      signal: abort.signal,
      onResult: (r) => {
        paid++;
        if (r.contentOk) paidOk++;
      },
    });

    if (interrupted) {
      await cleanup();
      return 130;
    }
    phase = 'settling';
    // One budget for both waits: statuses in Postgres, then the payment.confirmed webhooks of the confirmed.
    const settleDeadline = Date.now() + o.settleTimeoutSeconds * 1000;
    const references = results.flatMap((r) => (r.receipt?.reference ? [r.receipt.reference] : []));
    const allFinal = await waitForFinalStatuses(s.db, references, settleDeadline - Date.now());
    if (!allFinal) log(`some payments were still pending after --settle-timeout ${o.settleTimeoutSeconds} s`);
    phase = 'awaiting webhooks';
    const confirmedRefs = await confirmedReferences(s.db, references);
    const missingWebhooks = await hooks.waitForEvent(confirmedRefs, 'payment.confirmed', Math.max(0, settleDeadline - Date.now()));
    if (missingWebhooks.length) {
      log(`${missingWebhooks.length} confirmed payment(s) still without a payment.confirmed webhook after --settle-timeout ${o.settleTimeoutSeconds} s`);
    } else if (!(await waitForFirstWebhookAttempts(s.db, hooks.endpointId, Math.max(0, settleDeadline - Date.now())))) {
      // The rest of the run's webhooks (an earlier event may trail its payment.confirmed) land first, so the counts are complete.
      log(`some webhook deliveries had not been attempted yet after --settle-timeout ${o.settleTimeoutSeconds} s`);
    }
    clearInterval(snapshotTimer);
    snapshot = await settlementSnapshot(s.db, merchant.id);
    const summary = await collectSummary({
      db: s.db,
      deployment: d,
      merchantId: merchant.id,
      payTo,
      mode: o.mode,
      networks,
      results,
      webhooks: hooks.report(),
      durationMs: Date.now() - t0,
    });
    phase = 'done';
    await cleanup();
    process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary, { concurrency: o.concurrency })}\n`);
    return summary.ok ? 0 : 1;
  } catch (e) {
    await cleanup().catch(() => undefined);
    if (interrupted) return 130;
    if (e instanceof ServiceUnavailableError) {
      process.stderr.write(`${e.message}\n`);
      return 69;
    }
    if (e instanceof ConfigError || e instanceof DevchainConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 78;
    }
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`demo failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
