/**
 * The chaos run's private Postgres cluster and Redis server. Both listen on 127.0.0.1 on free ports, keep
 * their files in the run's temp dir, and are stopped by the run (also on SIGINT and on failure). Postgres comes
 * from the Debian binaries (`/usr/lib/postgresql/<major>/bin`); as root it runs as the `postgres` user, which
 * is what `initdb` and `postgres` require.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';

/** The newest `/usr/lib/postgresql/<major>/bin` holding `initdb` and `pg_ctl`. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const m of majors) {
    const bin = join(root, m, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  throw new Error(`no PostgreSQL server binaries under ${root}/*/bin (apt-get install postgresql)`);
}

/** A Postgres cluster owned by the run. */
export class PgCluster {
  private readonly dataDir: string;
  private readonly logFile: string;
  private readonly asUser: { uid: number; gid: number } | undefined;
  private running = false;

  /**
   * @param dir a folder of the run's temp dir (created here; its parent must be traversable by `postgres`).
   * @param port free TCP port on 127.0.0.1.
   */
  constructor(private readonly bin: string, private readonly dir: string, readonly port: number) {
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'postgres.log');
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      this.asUser = { uid, gid };
    }
  }

  /** Server URL without a database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  private cmd(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    // runuser keeps the environment small and needs no password; postgres refuses to run as root.
    return this.asUser ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }

  /**
   * Runs a tool to its exit. stdio is not piped: the postmaster that `pg_ctl start|restart` leaves behind
   * would inherit the pipes and keep them open, so a piped run would only end at its timeout.
   */
  private run(tool: string, args: string[], timeoutMs: number): Promise<void> {
    const [file, argv] = this.cmd(tool, args);
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { cwd: this.dir, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (e) => (clearTimeout(timer), reject(e)));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${tool} ${args.at(-1)} failed (code ${code}, signal ${signal}); see ${this.logFile}`));
      });
    });
  }

  /** initdb (trust auth, superuser `postgres`) and start; resolves when it accepts connections. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (this.asUser) chownSync(this.dir, this.asUser.uid, this.asUser.gid);
    chmodSync(this.dir, 0o700);
    await this.run('initdb', ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], 120_000);
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=200 -c shared_buffers=64MB`;
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-o', opts, '-w', '-t', '60', 'start'], 90_000);
    this.running = true;
  }

  /** `pg_ctl restart -m fast`: every session is cut, the server is back when this resolves. */
  async restartFast(): Promise<void> {
    await this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-m', 'fast', '-w', '-t', '60', 'restart'], 90_000);
  }

  /** Immediate stop (the data is thrown away with the temp dir). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000).catch(() => undefined);
  }

  /** Synchronous stop for the process `exit` hook (nothing asynchronous runs there). */
  stopSync(): void {
    if (!this.running) return;
    this.running = false;
    const [file, argv] = this.cmd('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
    try {
      execFileSync(file, argv, { stdio: 'ignore', timeout: 25_000 });
    } catch {
      // already stopped
    }
  }
}

/** A redis-server child owned by the run: no persistence, loopback only. */
export class RedisServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly dir: string, readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Spawns redis-server and resolves once it answers PING (30 s at most). */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited during start-up (code ${child.exitCode})`);
      try {
        await this.command((r) => r.ping());
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Runs one command on a short-lived connection. */
  async command<T>(fn: (r: IORedis) => Promise<T>): Promise<T> {
    const r = new IORedis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2_000 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(t);
  }

  stopSync(): void {
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}
