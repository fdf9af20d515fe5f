/**
 * OS processes for the settlement scenario tests: a worker running as its own process (with its
 * deployment file optionally pointed elsewhere) and a private redis-server. Every child is
 * SIGKILLed when the test process exits. Re-exported from settlement-support.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DevchainDeployment } from '@tollgate/devchain';
import { eventually, SettlementFixture, testApps } from '@tollgate/testing';

export const REPO_ROOT = resolve(__dirname, '../../..');

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Lines the process wrote to stdout so far. */
  stdout(): string;
  /**
   * Resolves once the worker logged that its consumers started. Boot compiles the worker with ts-node,
   * which takes tens of seconds on a loaded 2-core machine: tests wait for this instead of letting boot
   * time eat into the deadline of the behaviour they check.
   */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

/**
 * Starts `apps/worker/src/main.ts` as its own OS process with the fixture's configuration
 * (database, Redis, queue prefix, deployment file and settlement settings), plus `env`.
 * `preload` modules (paths relative to the repository) are required before main.
 */
export function spawnWorker(f: Pick<SettlementFixture, 'api'> & { env?: Record<string, string> }, env: Record<string, string> = {}, preload: string[] = []): WorkerProcess {
  const c = f.api.config;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-worker-'));
  const logFile = join(dir, 'worker.log');
  const log = createWriteStream(logFile);
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'test',
    TS_NODE_TRANSPILE_ONLY: '1',
    LOG_LEVEL: 'info',
    DATABASE_URL: c.databaseUrl,
    DATABASE_POOL_SIZE: '12',
    REDIS_URL: c.redisUrl,
    QUEUE_PREFIX: c.queuePrefix,
    DEVCHAIN_FILE: f.api.chain.deploymentFile,
    // Several workers (and other test files) run at once: no fixed health/metrics port.
    WORKER_METRICS_PORT: '0',
    ...f.env,
    ...env,
  };
  const args = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', ...preload.flatMap((p) => ['-r', resolve(REPO_ROOT, p)]), testApps().workerEntry];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    log.write(b);
  });
  child.stderr!.on('data', (b: Buffer) => log.write(b));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      log.end();
      r({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid!,
    logFile,
    exited,
    stdout: () => out,
    async ready(timeoutMs = 120_000) {
      await eventually('the worker process started', () => out.includes('workers started') || child.exitCode !== null || child.signalCode !== null, timeoutMs, async () => `(log: ${logFile})`);
      if (!out.includes('workers started')) throw new Error(`the worker process exited before starting (log: ${logFile})`);
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Writes a copy of the deployment file whose rpcUrl points elsewhere (e.g. at an `RpcGate` from rpc-gate.ts). */
export function deploymentVia(f: SettlementFixture, rpcUrl: string): string {
  const d = JSON.parse(readFileSync(f.api.chain.deploymentFile, 'utf8')) as DevchainDeployment;
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-gated-')), 'deployment.json');
  writeFileSync(file, JSON.stringify({ ...d, rpcUrl }, null, 2));
  return file;
}

// ------------------------------------------------------------------------------- redis-server

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

/** A private, throw-away redis-server (no persistence) on a free port. */
export async function startRedisServer(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => (children.delete(child), r())));
  const url = `redis://127.0.0.1:${port}`;
  const IORedis = (await import('ioredis')).default;
  await eventually(`redis-server on ${port}`, async () => {
    const c = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, 10_000);
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
