import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { loadConfig, loadRelayerKeys, TollgateConfig, WorkerConfig } from '@tollgate/config';
import { startDevchain, writeDeployment, type DevchainDeployment, type RunningDevchain } from '@tollgate/devchain';
import { createDataSource } from '@tollgate/persistence';
import { testApps } from './apps';
import { createTestDatabase } from './database';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestChain {
  devchain: RunningDevchain;
  deployment: DevchainDeployment;
  /** Path of the deployment file the config reads. */
  deploymentFile: string;
}

/** Starts a private anvil on a free port with the token, Multicall3 and funded accounts deployed. */
export async function startTestChain(opts: { chainId?: number; payerCount?: number } = {}): Promise<TestChain> {
  const devchain = await startDevchain({ chainId: opts.chainId, payerCount: opts.payerCount ?? 6 });
  const deploymentFile = join(mkdtempSync(join(tmpdir(), 'tollgate-test-')), 'deployment.json');
  await writeDeployment(deploymentFile, devchain.deployment);
  return { devchain, deployment: devchain.deployment, deploymentFile };
}

/** Configuration for a test: private database, private queue prefix, the test chain. */
export function testConfig(chain: TestChain, databaseUrl: string, env: Record<string, string> = {}): TollgateConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `tollgate-test-${randomBytes(4).toString('hex')}`,
    // Test files run side by side (and beside a demo or a manual worker): never a fixed listener port.
    WORKER_METRICS_PORT: '0',
    DEVCHAIN_FILE: chain.deploymentFile,
    ...env,
  });
}

export interface TestApi {
  app: INestApplication;
  baseUrl: string;
  /** The API's configuration: like production's, without relayer keys. */
  config: TollgateConfig;
  /** The environment overrides the API was started with. */
  env: Record<string, string>;
  chain: TestChain;
  /** A separate connection for assertions. */
  db: DataSource;
  stop(): Promise<void>;
}

/**
 * The API on a free loopback port against a real anvil, a cloned Postgres database and real Redis.
 * `env` overrides any setting. `sharing` starts a second API process beside `sharing` — same chain,
 * database and queue prefix (so the same Redis keys), as several API processes run in production; its
 * `stop()` leaves what it shares alone. The API app comes from {@link testApps} (injected by the jest set-up).
 */
export async function startTestApi(opts: { chain?: TestChain; env?: Record<string, string>; sharing?: TestApi } = {}): Promise<TestApi> {
  // Injected by the test set-up: libraries never import apps.
  const { createApiApp } = testApps();
  if (opts.sharing) {
    const first = opts.sharing;
    const config = testConfig(first.chain, first.config.databaseUrl, { QUEUE_PREFIX: first.config.queuePrefix, ...opts.env });
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { app, baseUrl: `http://127.0.0.1:${port}`, config, env: { ...first.env, ...opts.env }, chain: first.chain, db: first.db, stop: () => app.close() };
  }
  const chain = opts.chain ?? (await startTestChain());
  // A start that fails half-way (no template, a port, a bad setting) must not leave its anvil or database
  // behind: the test's afterAll never sees a fixture to stop, and orphaned chains load later runs.
  const cleanup: Array<() => Promise<unknown>> = opts.chain ? [] : [() => chain.devchain.anvil.stop()];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let config: TollgateConfig;
  let app: INestApplication;
  let port: number;
  let db: DataSource;
  try {
    database = await createTestDatabase();
    cleanup.unshift(() => database.drop());
    config = testConfig(chain, database.url, opts.env);
    app = await createApiApp(config);
    cleanup.unshift(() => app.close());
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
    db = await createDataSource({ databaseUrl: database.url, poolSize: 2 }).initialize();
  } catch (e) {
    for (const undo of cleanup) await undo().catch(() => undefined);
    throw e;
  }
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    env: opts.env ?? {},
    chain,
    db,
    async stop() {
      await app.close();
      await db.destroy();
      await database.drop();
      if (!opts.chain) await chain.devchain.anvil.stop();
    },
  };
}

/**
 * The worker's configuration beside a test API: the same settings plus the relayer keys (the devchain
 * file's, and `RELAYER_PRIVATE_KEYS_<chainId>` from the API's env overrides), as `npm run start:worker`
 * would read them.
 */
export function workerConfigOf(api: Pick<TestApi, 'config' | 'env' | 'chain'>): WorkerConfig {
  return { ...api.config, relayerKeys: loadRelayerKeys({ ...api.env, DEVCHAIN_FILE: api.chain.deploymentFile }, api.config.networks) };
}

/** POST JSON and return status + parsed body (text when not JSON). */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed };
}
