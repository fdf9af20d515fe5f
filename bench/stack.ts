/**
 * The stack a benchmark runs against, every part private to the run: an anvil with the devchain fixtures
 * (payers are funded per run, see fundPayers), a fresh Postgres database (created and migrated here), a fresh BullMQ prefix,
 * the API and the settlement worker each in its own child process (so /proc can attribute CPU and memory
 * to each), and optionally the reference facilitator, also a child process. `stop()` stops exactly what was
 * started; an `exit` hook SIGKILLs any child left behind if the run dies abruptly.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import IORedis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createPublicClient, createWalletClient, http, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  devchainViemChain,
  eip3009TokenAbi,
  startDevchain,
  writeDeployment,
  type DevchainAccount,
  type DevchainDeployment,
  type RunningDevchain,
} from '@tollgate/devchain';
import { createDataSource, ensureDatabase, runMigrations } from '@tollgate/persistence';
import { MerchantsService } from '../apps/api/src/merchants/merchants.service';
import { freePort, spawnTs, waitHttp, waitLine, type ManagedProcess } from './children';
import type { ProcessGroup } from './proc';

// Child-process plumbing lives in children.ts; callers keep importing it from here.
export { REPO_ROOT, freePort, spawnTs, waitLine, type ManagedProcess } from './children';

/** Tokens minted to each fresh payer: 10^12 atomic units (1,000,000 tokens), so the exposure guard never binds. */
export const PAYER_FUNDING = 10n ** 12n;

/**
 * Creates `count` random payer keys and mints {@link PAYER_FUNDING} to each from the devchain deployer (all
 * transactions sent before any receipt is awaited).
 */
export async function fundPayers(d: DevchainDeployment, count: number): Promise<DevchainAccount[]> {
  const chain = devchainViemChain(d.chainId, d.rpcUrl);
  const pub = createPublicClient({ chain, transport: http(d.rpcUrl), pollingInterval: 20 });
  const deployer = createWalletClient({ account: privateKeyToAccount(d.deployer.privateKey), chain, transport: http(d.rpcUrl) });
  const payers = Array.from({ length: count }, () => {
    const privateKey: Hex = generatePrivateKey();
    return { address: privateKeyToAccount(privateKey).address, privateKey };
  });
  let nonce = await pub.getTransactionCount({ address: deployer.account.address, blockTag: 'pending' });
  const hashes: Hex[] = [];
  for (const p of payers) {
    hashes.push(await deployer.writeContract({ address: d.token.address, abi: eip3009TokenAbi, functionName: 'mint', args: [p.address, PAYER_FUNDING], nonce: nonce++ }));
  }
  for (const hash of hashes) {
    const receipt = await pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`mint to a bench payer failed: ${hash}`);
  }
  return payers;
}

/** How the stack is built. */
export interface BenchStackOptions {
  /** Tollgate relayers (the reference facilitator gets one more, of its own: nonces must never be shared). */
  relayers: number;
  /** DATABASE_POOL_SIZE of the API and of the worker. */
  apiPoolSize: number;
  workerPoolSize: number;
  /** Extra Tollgate settings for both processes (BATCH_MAX_SIZE, …); they override the defaults here. */
  env: Record<string, string>;
  /** Start the reference facilitator too. */
  reference: boolean;
  /** Postgres server URL without a database, e.g. postgres://postgres@127.0.0.1:5432 */
  databaseServer: string;
  redisUrl: string;
  /** Keep the bench database after the run (for inspection). */
  keepDatabase: boolean;
  /**
   * When set, the API and the worker run under `--cpu-prof`, writing `<dir>/api.cpuprofile` and
   * `<dir>/worker.cpuprofile` when they stop (open them in Chrome DevTools or speedscope and select the time
   * range of the run you care about: start-up compilation is in there too).
   */
  profileDir?: string;
  log: (line: string) => void;
}

/** The running stack. */
export interface BenchStack {
  deployment: DevchainDeployment;
  devchain: RunningDevchain;
  databaseName: string;
  databaseUrl: string;
  /** The bench's own connection (merchant creation, end-to-end polling). */
  db: DataSource;
  queuePrefix: string;
  apiUrl: string;
  apiKey: string;
  merchantId: string;
  /** payTo of the verify and settle scenarios. */
  payTo: Address;
  /** payTo of the end-to-end scenario only. */
  endToEndPayTo: Address;
  /**
   * Fresh payers, each minted `PAYER_FUNDING` tokens. Every measured run signs with payers of its own:
   * Tollgate's exposure guard sums a payer's accepted-but-unsettled payments on every verify, so payers
   * reused across runs would carry the thousands of never-settled payments earlier verify runs left behind
   * and make each later run slower for reasons that have nothing to do with it.
   */
  fundPayers(count: number): Promise<DevchainAccount[]>;
  api: ManagedProcess;
  worker: ManagedProcess;
  reference?: ManagedProcess;
  referenceUrl?: string;
  /** Tollgate settings both processes run with (secrets left out), for the report. */
  settings: Record<string, string>;
  /** Processes to meter, and Postgres backends grouped per application. */
  meteredProcesses(): Array<{ name: string; pid: number }>;
  postgresGroups(): ProcessGroup[];
  stop(): Promise<void>;
}

/** Deletes every Redis key under a BullMQ prefix (the run's queues), in SCAN pages. */
async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Starts the whole stack. On any failure everything already started is stopped before the error is rethrown.
 */
export async function startBenchStack(o: BenchStackOptions): Promise<BenchStack> {
  const stoppers: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async () => {
    for (const s of stoppers.splice(0).reverse()) {
      await s.stop().catch((e: Error) => o.log(`stopping ${s.name} failed: ${e.message}`));
    }
  };
  try {
    o.log(`starting anvil with ${o.relayers + (o.reference ? 1 : 0)} relayers`);
    const devchain = await startDevchain({
      // Runs fund their own payers (fundPayers); the fixture's are not used.
      payerCount: 1,
      relayerCount: o.relayers + (o.reference ? 1 : 0),
      // payTo[0] takes the verify and settle scenarios, payTo[1] the end-to-end one (its rows are easy to select).
      payToCount: 2,
      // 10^12 atomic units (1,000,000 tokens) each: at 0.001 token per payment the exposure guard never binds.
    });
    stoppers.push({ name: 'anvil', stop: () => devchain.anvil.stop() });
    const deployment = devchain.deployment;
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
    stoppers.push({ name: 'temp dir', stop: async () => rmSync(dir, { recursive: true, force: true }) });
    // Tollgate serves every relayer its deployment file lists: leave the reference's relayer out.
    const deploymentFile = join(dir, 'deployment.json');
    await writeDeployment(deploymentFile, { ...deployment, relayers: deployment.relayers.slice(0, o.relayers) });

    const suffix = randomBytes(4).toString('hex');
    const databaseName = `tollgate_bench_${suffix}`;
    const databaseUrl = `${o.databaseServer}/${databaseName}`;
    o.log(`creating and migrating database ${databaseName}`);
    await ensureDatabase(databaseUrl);
    if (!o.keepDatabase) {
      stoppers.push({
        name: 'bench database',
        stop: async () => {
          const { Client } = await import('pg');
          const c = new Client({ connectionString: `${o.databaseServer}/postgres` });
          await c.connect();
          try {
            await c.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      });
    }
    const db = await createDataSource({ databaseUrl, poolSize: 4, applicationName: 'tollgate-bench' }).initialize();
    stoppers.push({ name: 'bench connection', stop: () => db.destroy() });
    await runMigrations(db);

    const payTo = deployment.payTo[0].address;
    const endToEndPayTo = deployment.payTo[1].address;
    const created = await new MerchantsService(db).create({ name: 'bench merchant', payTo: [payTo, endToEndPayTo], settlementMode: 'deferred' });

    const queuePrefix = `tollgate-bench-${suffix}`;
    stoppers.push({ name: 'queue keys', stop: () => deleteQueueKeys(o.redisUrl, queuePrefix) });
    const apiPort = await freePort();
    const workerPort = await freePort();
    const settings: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      REDIS_URL: o.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      DEVCHAIN_FILE: deploymentFile,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(workerPort),
      SETTLEMENT_WINDOW_SECONDS: '30',
      ...o.env,
    };
    // Production refuses to start without a webhook key; a per-run random one (no webhook is configured).
    const secretEnv = { WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex') };

    o.log('starting the API and the settlement worker (separate processes)');
    const prof = (name: string) =>
      o.profileDir
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`], preload: [join(__dirname, 'exit-on-signal.ts')] }
        : {};
    const api = spawnTs('api', 'apps/api/src/main.ts', { ...settings, ...secretEnv, DATABASE_POOL_SIZE: String(o.apiPoolSize) }, prof('api'));
    stoppers.push({ name: 'api', stop: () => api.stop() });
    const worker = spawnTs('worker', 'apps/worker/src/main.ts', { ...settings, ...secretEnv, DATABASE_POOL_SIZE: String(o.workerPoolSize) }, prof('worker'));
    stoppers.push({ name: 'worker', stop: () => worker.stop() });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await Promise.all([waitHttp(api, `${apiUrl}/supported`, 120_000), waitHttp(worker, `http://127.0.0.1:${workerPort}/health/ready`, 120_000)]);

    let reference: ManagedProcess | undefined;
    let referenceUrl: string | undefined;
    if (o.reference) {
      o.log('starting the reference facilitator (@x402/core + @x402/evm, separate process)');
      const relayer = deployment.relayers[o.relayers];
      reference = spawnTs('reference', 'bench/reference-facilitator.ts', {
        NODE_ENV: 'production',
        REFERENCE_RPC_URL: deployment.rpcUrl,
        REFERENCE_CHAIN_ID: String(deployment.chainId),
        REFERENCE_RELAYER_KEY: relayer.privateKey,
        REFERENCE_PORT: '0',
        REFERENCE_POLL_MS: '50',
      });
      stoppers.push({ name: 'reference', stop: () => reference!.stop() });
      const [, port] = await waitLine(reference, /^LISTENING (\d+)$/, 120_000);
      referenceUrl = `http://127.0.0.1:${port}`;
      await waitHttp(reference, `${referenceUrl}/supported`, 10_000);
    }

    const backends = (apps: string[]): ProcessGroup['pids'] => async () => {
      const rows: Array<{ pid: number }> = await db.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = ANY($2)`,
        [databaseName, apps],
      );
      return rows.map((r) => Number(r.pid));
    };

    return {
      deployment,
      devchain,
      databaseName,
      databaseUrl,
      db,
      queuePrefix,
      apiUrl,
      apiKey: created.apiKey,
      merchantId: created.merchant.id,
      payTo,
      endToEndPayTo,
      fundPayers: (count) => fundPayers(deployment, count),
      api,
      worker,
      reference,
      referenceUrl,
      settings: { ...settings, API_DATABASE_POOL_SIZE: String(o.apiPoolSize), WORKER_DATABASE_POOL_SIZE: String(o.workerPoolSize) },
      meteredProcesses: () => [
        { name: 'api', pid: api.pid },
        { name: 'worker', pid: worker.pid },
        ...(reference ? [{ name: 'reference', pid: reference.pid }] : []),
        { name: 'anvil', pid: devchain.anvil.pid },
      ],
      postgresGroups: () => [
        { name: 'postgres (API backends)', pids: backends(['tollgate-api', 'tollgate-api-accept']) },
        { name: 'postgres (worker backends)', pids: backends(['tollgate-worker', 'tollgate-webhooks']) },
      ],
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
