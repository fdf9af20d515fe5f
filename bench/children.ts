/**
 * The child processes a benchmark (or the chaos run) starts: spawned under ts-node from the repository
 * root so /proc measures the node process itself, tracked so an `exit` hook SIGKILLs any left behind,
 * and waited on by HTTP readiness or a stdout line. Re-exported from stack.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** Repository root (bench/..): children run from here so tsconfig.json and its paths resolve. */
export const REPO_ROOT = resolve(__dirname, '..');

/** A child process the benchmark started and measures. */
export interface ManagedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Last lines of its stderr (and stdout), for error messages. */
  tail(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when the run dies without reaching stop(): no orphaned API, worker or load generator.
    process.on('exit', () => {
      for (const c of live) {
        try {
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
}

/** A free TCP port on loopback (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Spawns `node -r ts-node/register/transpile-only -r tsconfig-paths/register <script>` from the repository
 * root: the node process itself is the child, so its pid is the one /proc measures.
 */
export function spawnTs(
  name: string,
  script: string,
  env: Record<string, string>,
  opts: { stdin?: boolean; paths?: boolean; args?: string[]; nodeArgs?: string[]; preload?: string[] } = {},
): ManagedProcess {
  const args = [
    ...(opts.nodeArgs ?? []),
    '-r',
    'ts-node/register/transpile-only',
    ...(opts.paths === false ? [] : ['-r', 'tsconfig-paths/register']),
    // After ts-node, so TypeScript preloads compile.
    ...(opts.preload ?? []).flatMap((p) => ['-r', p]),
    script,
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stderr?.on('data', keep);
  let exited = false;
  const exitedP = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  return {
    name,
    pid: child.pid as number,
    child,
    tail: () => tail.trim(),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      killer.unref();
      await exitedP;
      clearTimeout(killer);
    },
  };
}

/** Polls `url` until it answers 2xx; fails early when the process exits. */
export async function waitHttp(p: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  p.child.once('exit', (code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${p.name} exited (code ${exitCode}) during start-up:\n${p.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${p.name} did not answer ${url} within ${timeoutMs} ms:\n${p.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for a stdout line matching `re`; returns the match. */
export function waitLine(p: ManagedProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolveLine, reject) => {
    const rl = createInterface({ input: p.child.stdout! });
    const timer = setTimeout(() => {
      rl.close();
      reject(new Error(`${p.name} did not print ${re} within ${timeoutMs} ms:\n${p.tail()}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      rl.close();
      reject(new Error(`${p.name} exited (code ${code}) before printing ${re}:\n${p.tail()}`));
    };
    p.child.once('exit', onExit);
    rl.on('line', (line) => {
      const m = re.exec(line);
      if (!m) return;
      clearTimeout(timer);
      p.child.off('exit', onExit);
      rl.close();
      resolveLine(m);
    });
  });
}
