import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { Client } from 'pg';

const run = promisify(execFile);

/** A service the demo found stopped and started; `stop()` puts it back the way it was. */
export interface StartedService {
  name: string;
  stop(): Promise<void>;
}

/** Raised when Postgres or Redis cannot be reached or started; `message` says how to start them. */
export class ServiceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

type Probe = { ok: true } | { ok: false; down: boolean; detail: string };

const READY_TIMEOUT_MS = 20_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Makes sure Postgres (`databaseUrl`) and Redis (`redisUrl`) answer. When one is down, is addressed on
 * loopback, and the standard Debian service is installed but stopped, it is started (and reported back so
 * the caller can stop it on exit). Otherwise a {@link ServiceUnavailableError} says exactly how to start it.
 *
 * @param log one human line per action taken (starting a service).
 * @returns the services this call started, in start order.
 */
export async function ensureLocalServices(databaseUrl: string, redisUrl: string, log: (line: string) => void): Promise<StartedService[]> {
  const started: StartedService[] = [];
  try {
    const pg = await probePostgres(databaseUrl);
    if (!pg.ok) started.push(await startPostgres(databaseUrl, pg, log));
    const redis = await probeRedis(redisUrl);
    if (!redis.ok) started.push(await startRedis(redisUrl, redis, log));
    return started;
  } catch (e) {
    // Leave the machine as we found it when the second service fails.
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw e;
  }
}

/** Connects to the server's maintenance database: the demo database itself may not exist yet. */
async function probePostgres(databaseUrl: string): Promise<Probe> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code?: string };
    // Refused / no socket / timed out mean "not running"; anything else (auth, TLS) is a running server
    // that refuses us, which starting a service cannot fix.
    const down = ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(err.code ?? '') || /timeout/i.test(err.message);
    return { ok: false, down, detail: err.message || String(err.code) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(redisUrl: string): Promise<Probe> {
  const redis = new IORedis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const down = ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT'].includes(err.code ?? '') || /connect|closed|timeout/i.test(err.message);
    return { ok: false, down, detail: err.message };
  } finally {
    redis.disconnect();
  }
}

/** Polls until the service answers, refuses us for a reason other than "not up yet", or the deadline passes. */
async function waitFor(probe: () => Promise<Probe>): Promise<Probe> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const p = await probe();
    if (p.ok || !p.down || Date.now() > deadline) return p;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const isLoopback = (u: URL): boolean => LOOPBACK.has(u.hostname);

/** Debian clusters under /etc/postgresql/<version>/main, newest first. */
function debianPostgresVersions(): string[] {
  if (!existsSync('/etc/postgresql')) return [];
  return readdirSync('/etc/postgresql')
    .filter((v) => existsSync(`/etc/postgresql/${v}/main`))
    .sort((a, b) => Number(b) - Number(a));
}

async function startPostgres(databaseUrl: string, probe: Extract<Probe, { ok: false }>, log: (line: string) => void): Promise<StartedService> {
  const url = new URL(databaseUrl);
  const where = `${url.hostname}:${url.port || 5432}`;
  const versions = debianPostgresVersions();
  const [version] = versions;
  if (probe.down && isLoopback(url) && version && (url.port || '5432') === '5432') {
    log(`PostgreSQL is not running on ${where}; starting the installed cluster ${version}/main`);
    const args = ['--skip-systemctl-redirect', version, 'main'];
    try {
      await run('pg_ctlcluster', [...args, 'start'], { timeout: READY_TIMEOUT_MS });
    } catch (e) {
      throw new ServiceUnavailableError(postgresHelp(databaseUrl, `pg_ctlcluster ${version} main start failed: ${firstLine(e)}`));
    }
    const stop = () => run('pg_ctlcluster', [...args, 'stop'], { timeout: READY_TIMEOUT_MS }).then(() => undefined);
    const ready = await waitFor(() => probePostgres(databaseUrl));
    if (!ready.ok) {
      await stop().catch(() => undefined);
      throw new ServiceUnavailableError(postgresHelp(databaseUrl, `started cluster ${version}/main, but ${where} answered: ${ready.detail}`));
    }
    return { name: `PostgreSQL ${version}/main`, stop };
  }
  throw new ServiceUnavailableError(postgresHelp(databaseUrl, probe.detail, versions));
}

async function startRedis(redisUrl: string, probe: Extract<Probe, { ok: false }>, log: (line: string) => void): Promise<StartedService> {
  const url = new URL(redisUrl);
  const port = url.port || '6379';
  const installed = await run('redis-server', ['--version']).then(
    () => true,
    () => false,
  );
  if (probe.down && isLoopback(url) && installed) {
    log(`Redis is not running on ${url.hostname}:${port}; starting redis-server`);
    try {
      // No persistence: the demo's queue state is disposable (Postgres holds the truth).
      // noeviction: BullMQ must never lose keys to memory pressure.
      await run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
        timeout: READY_TIMEOUT_MS,
      });
    } catch (e) {
      throw new ServiceUnavailableError(redisHelp(redisUrl, `redis-server failed to start: ${firstLine(e)}`));
    }
    const stop = async () => {
      const redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      // SHUTDOWN closes the connection instead of answering; that rejection is the success case.
      await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      redis.disconnect();
    };
    const ready = await waitFor(() => probeRedis(redisUrl));
    if (!ready.ok) {
      await stop();
      throw new ServiceUnavailableError(redisHelp(redisUrl, `started redis-server, but ${url.hostname}:${port} answered: ${ready.detail}`));
    }
    return { name: `redis-server on port ${port}`, stop };
  }
  throw new ServiceUnavailableError(redisHelp(redisUrl, probe.detail));
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr || err.message || String(e)).trim().split('\n')[0];
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** What to do when Postgres cannot be reached: the exact commands, not a hint. */
export function postgresHelp(databaseUrl: string, detail: string, installedVersions: readonly string[] = debianPostgresVersions()): string {
  const version = installedVersions[0] ?? '<version>';
  return [
    `PostgreSQL is not reachable at ${redact(databaseUrl)} (${detail}).`,
    'Start it, then run `npm run demo` again. Any one of:',
    `  Debian/Ubuntu, installed:   pg_ctlcluster --skip-systemctl-redirect ${version} main start${installedVersions.length ? '' : '   (versions: ls /etc/postgresql)'}`,
    '  Debian/Ubuntu, not yet:     apt-get install -y postgresql, then the line above',
    '                              (the demo connects as user postgres without a password: trust auth for 127.0.0.1 in pg_hba.conf)',
    '  Docker:                     docker compose up -d postgres redis',
    '                              and DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/tollgate npm run demo',
    '  Elsewhere:                  set DATABASE_URL to a server you run',
  ].join('\n');
}

/** What to do when Redis cannot be reached. */
export function redisHelp(redisUrl: string, detail: string): string {
  return [
    `Redis is not reachable at ${redact(redisUrl)} (${detail}).`,
    'Start it, then run `npm run demo` again. Any one of:',
    "  Installed (redis-server):   redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no --maxmemory-policy noeviction",
    '  Debian/Ubuntu, not yet:     apt-get install -y redis-server, then the line above',
    '  Docker:                     docker compose up -d postgres redis',
    '  Elsewhere:                  set REDIS_URL to a server you run (with maxmemory-policy noeviction)',
  ].join('\n');
}
