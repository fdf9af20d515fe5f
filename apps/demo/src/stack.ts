import { INestApplication } from '@nestjs/common';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createPublicClient, http } from 'viem';
import { DataSource } from 'typeorm';
import { loadConfig, loadRelayerKeys, loadSolanaFeePayerKeys, TollgateConfig } from '@tollgate/config';
import { parseDevchainConfig, readDeployment, startDevchain, writeDeployment, type DevchainConfig, type DevchainDeployment, type SvmDeployment } from '@tollgate/devchain';
import { createDataSource, ensureDatabase, runMigrations } from '@tollgate/persistence';
import { createApiApp } from '../../api/src';
import { OperatorActionWorker, SettlementWorker, SvmSettlementWorker, WebhookWorker } from '../../worker/src';
import { ensureLocalServices } from './local-services';
import { reuseOrStartSvmDevchain, solanaEnv, solanaFeePayerKeysEnv } from './svm-stack';

/**
 * Settings the demo applies unless the environment says otherwise. The in-process API and worker log
 * through pino to stdout, where their lines would break the progress line and the summary; the summary
 * names every failure's reason anyway. `LOG_LEVEL=info npm run demo` shows the apps' logs.
 */
export const DEMO_ENV_DEFAULTS: Readonly<Record<string, string>> = { LOG_LEVEL: 'fatal' };

/** Where the demo's webhook receiver listens (see `webhook-receiver.ts`). */
export const DEMO_WEBHOOK_HOST = '127.0.0.1';

/**
 * The environment the demo's apps are configured from: {@link DEMO_ENV_DEFAULTS} under `env`, and — always,
 * whatever `env` says — webhooks allowed to reach the demo's own receiver: {@link DEMO_WEBHOOK_HOST} added
 * to `WEBHOOK_HTTP_ALLOWLIST` (plain http) and `WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true` (loopback). This
 * only shapes the configuration of the apps this process starts; `process.env` and Tollgate's own
 * defaults (https only, public addresses only) are untouched.
 */
export function demoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...DEMO_ENV_DEFAULTS, ...env };
  const allowlist = (merged.WEBHOOK_HTTP_ALLOWLIST ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  if (!allowlist.includes(DEMO_WEBHOOK_HOST)) allowlist.push(DEMO_WEBHOOK_HOST);
  return { ...merged, WEBHOOK_HTTP_ALLOWLIST: allowlist.join(','), WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' };
}

/** Everything the demo runs against. `stop()` stops exactly what `startStack` started, in reverse order. */
export interface DemoStack {
  config: TollgateConfig;
  deployment: DevchainDeployment;
  /** The Solana devchain Tollgate serves (as devnet), when the stack was started with `solana: true`. */
  solana?: SvmDeployment;
  /** Base URL of the API as clients reach it. */
  apiUrl: string;
  /** A connection of the demo's own, for its summary queries. */
  db: DataSource;
  /** Human descriptions of what was started (as opposed to reused). */
  started: string[];
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<unknown> };

/**
 * Makes sure Postgres and Redis run, starts (or reuses) the devchain, migrates, and starts the API, the
 * settlement worker and the webhook worker.
 *
 * The API and the workers run in this process: the API through the entry point `npm run start:api` uses
 * (`createApiApp`), the workers through the consumers `npm run start:worker`'s WorkerModule provides
 * (`SettlementWorker.start`, `WebhookWorker.start`, `OperatorActionWorker.start`, without its listener): one process
 * means one TypeScript compile instead of three, nothing to orphan when the demo is interrupted, and the
 * summary reads the very configuration the apps ran with. The chain (anvil) is a child process, as always.
 *
 * @param env the environment to configure from (entry points pass `process.env`), as shaped by {@link demoEnv}.
 * @param log one human line per step, for stderr.
 * @param opts.solana also serve Solana: the Solana devchain of the deployment file when it answers, else one
 *   started in this process (litesvm); the API and the Solana settlement worker are configured for it.
 * @throws ServiceUnavailableError when Postgres or Redis is down and cannot be started (the message says how).
 */
export async function startStack(env: NodeJS.ProcessEnv, log: (line: string) => void, opts: { solana?: boolean } = {}): Promise<DemoStack> {
  const effectiveEnv = demoEnv(env);
  const stoppers: Stopper[] = [];
  const started: string[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) {
      await s.stop().catch((e: Error) => log(`stopping ${s.name} failed: ${e.message}`));
    }
  };
  try {
    // Service URLs do not depend on the chain; check them first so a missing Postgres fails in a second.
    const preliminary = loadConfig({ ...effectiveEnv, DEVCHAIN_FILE: '' });
    for (const s of await ensureLocalServices(preliminary.databaseUrl, preliminary.redisUrl, log)) {
      stoppers.push(s);
      started.push(s.name);
    }

    const chain = await reuseOrStartDevchain(parseDevchainConfig(effectiveEnv), log);
    if (chain.stop) {
      stoppers.push({ name: 'devchain', stop: chain.stop });
      started.push(`devchain (anvil) at ${chain.deployment.rpcUrl}`);
    }

    let solana: SvmDeployment | undefined;
    if (opts.solana) {
      const svm = await reuseOrStartSvmDevchain(chain.deployment, parseDevchainConfig(effectiveEnv), log);
      solana = svm.deployment;
      if (svm.stop) {
        stoppers.push({ name: 'Solana devchain', stop: svm.stop });
        started.push(`Solana devchain (litesvm, in this process) at ${solana.rpcUrl}`);
      }
    }
    const appEnv = { ...effectiveEnv, DEVCHAIN_FILE: chain.file, ...(solana ? solanaEnv(solana) : {}) };
    const config = loadConfig(appEnv);
    if (!config.networks.some((n) => n.network === chain.deployment.network)) {
      throw new Error(`configuration does not serve the devchain network ${chain.deployment.network}`);
    }

    await ensureDatabase(config.databaseUrl);
    const db = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 4, applicationName: 'tollgate-demo' }).initialize();
    stoppers.push({ name: 'database connection', stop: () => db.destroy() });
    const applied = await runMigrations(db);
    if (applied.length) log(`migrated: ${applied.join(', ')}`);

    const port = (await portIsFree(config.api.host, config.api.port)) ? config.api.port : 0;
    if (port !== config.api.port) log(`API_PORT ${config.api.port} is taken; the demo's API uses a free port instead`);
    // The demo owns SIGINT/SIGTERM: Nest's hooks would close the API and re-raise the signal mid-cleanup.
    const app: INestApplication = await createApiApp(config, { shutdownHooks: false });
    await app.listen(port, config.api.host);
    stoppers.push({ name: 'API', stop: () => app.close() });
    const address = app.getHttpServer().address() as { port: number };
    const apiUrl = `http://${connectHost(config.api.host)}:${address.port}`;
    started.push(`API at ${apiUrl}`);

    // The relayer keys go to the settlement worker only; the API was given none.
    const worker = await SettlementWorker.start({ ...config, relayerKeys: loadRelayerKeys(appEnv, config.networks) });
    stoppers.push({ name: 'settlement worker', stop: () => worker.stop() });
    started.push('settlement worker');

    if (solana && config.solanaNetworks) {
      // The fee-payer keys go to the Solana settlement worker only (the devchain's public test keys).
      const solanaFeePayerKeys = loadSolanaFeePayerKeys(solanaFeePayerKeysEnv(solana), config.solanaNetworks);
      const svmWorker = await SvmSettlementWorker.start({ ...config, relayerKeys: {}, solanaFeePayerKeys });
      stoppers.push({ name: 'Solana settlement worker', stop: () => svmWorker.stop() });
      started.push('Solana settlement worker');
    }

    // As in `npm run start:worker`: the webhook worker beside the settlement worker.
    const webhookWorker = await WebhookWorker.start(config);
    stoppers.push({ name: 'webhook worker', stop: () => webhookWorker.stop() });
    started.push('webhook worker');

    const operatorActions = await OperatorActionWorker.start(config);
    stoppers.push({ name: 'operator-action worker', stop: () => operatorActions.stop() });

    return { config, deployment: chain.deployment, solana, apiUrl, db, started, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * Reuses the devchain described by the deployment file when it still answers (same chain id, token code
 * present), else starts one and writes the file. A devchain the demo started is stopped by `stop()`, and
 * its deployment file removed, so no later process reads a file describing a chain that is gone.
 */
async function reuseOrStartDevchain(
  dc: DevchainConfig,
  log: (line: string) => void,
): Promise<{ deployment: DevchainDeployment; file: string; stop?: () => Promise<void> }> {
  const existing = await readDeployment(dc.file).catch(() => undefined);
  if (existing) {
    const liveChainId = await chainIdAt(existing.rpcUrl);
    if (liveChainId !== undefined) {
      if (liveChainId !== existing.chainId) {
        throw new Error(`${existing.rpcUrl} answers with chain id ${liveChainId} but ${dc.file} describes chain ${existing.chainId}; stop that node or set DEVCHAIN_FILE`);
      }
      const client = createPublicClient({ transport: http(existing.rpcUrl, { retryCount: 0, timeout: 2_000 }) });
      const code = await client.getCode({ address: existing.token.address }).catch(() => undefined);
      if (code && code !== '0x') {
        if (existing.chainId !== dc.chainId) log(`note: reusing the running devchain ${existing.network} (DEVCHAIN_CHAIN_ID asks for ${dc.chainId}; stop it to change)`);
        log(`reusing the devchain at ${existing.rpcUrl} (${existing.network}) from ${dc.file}`);
        return { deployment: existing, file: dc.file };
      }
    }
  }

  log(`starting a devchain on ${dc.host}:${dc.port} (chain id ${dc.chainId})`);
  const running = await startDevchain({
    port: dc.port,
    host: dc.host,
    chainId: dc.chainId,
    blockTimeSeconds: dc.blockTimeSeconds,
    tokenName: dc.tokenName,
    tokenVersion: dc.tokenVersion,
    payerCount: Math.max(dc.payers, 1),
  }).catch((e: Error) => {
    throw new Error(`${e.message}. If another node holds that port, stop it or set DEVCHAIN_PORT`);
  });
  const deployment: DevchainDeployment = { ...running.deployment, rpcUrl: dc.publicRpcUrl ?? running.deployment.rpcUrl };
  await writeDeployment(dc.file, deployment);
  const written = await readFile(resolve(dc.file), 'utf8');
  return {
    deployment,
    file: dc.file,
    stop: async () => {
      await running.anvil.stop();
      // Only remove the file if nobody replaced it meanwhile.
      const now = await readFile(resolve(dc.file), 'utf8').catch(() => undefined);
      if (now === written) await rm(resolve(dc.file), { force: true });
    },
  };
}

async function chainIdAt(rpcUrl: string): Promise<number | undefined> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 2_000 }) });
  return client.getChainId().catch(() => undefined);
}

function portIsFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolvePort) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePort(false));
    server.listen(port, host, () => server.close(() => resolvePort(true)));
  });
}

/** The address a client on this machine uses for a listener bound to `host`. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
