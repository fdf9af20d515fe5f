import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ANVIL_MNEMONIC, DEFAULT_CHAIN_ID } from './constants';

/** Options for {@link startAnvil}. */
export interface StartAnvilOptions {
  /** TCP port. `0` or omitted: a free port is picked. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` so the dev node is never exposed to the network. */
  host?: string;
  /** EIP-155 chain id. Default 31337. */
  chainId?: number;
  /** Interval mining: one block every N seconds (fractions allowed). Omitted: automine, one block per transaction. */
  blockTimeSeconds?: number;
  /** Disable both automine and interval mining; blocks only come from `evm_mine`. Excludes `blockTimeSeconds`. */
  noMining?: boolean;
  /** Number of prefunded dev accounts anvil derives from the anvil mnemonic. Default 10. */
  accounts?: number;
  /** How long to wait for `eth_chainId` to answer, in milliseconds. Default 30 000. */
  startupTimeoutMs?: number;
  /** Explicit path to an anvil executable; by default the `@foundry-rs/anvil-*` platform package is used. */
  binaryPath?: string;
}

/** How the anvil process ended. */
export interface AnvilExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running anvil node owned by this process. */
export interface AnvilInstance {
  /** HTTP JSON-RPC URL, e.g. `http://127.0.0.1:8545`. */
  rpcUrl: string;
  port: number;
  chainId: number;
  /** OS process id of the anvil child. */
  pid: number;
  /** Resolves when the process has exited, for whatever reason (never rejects). */
  exited: Promise<AnvilExit>;
  /** Terminates anvil (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 20;
const MAX_PORT_ATTEMPTS = 5;
const OUTPUT_TAIL_BYTES = 8 * 1024;

const ARCH_NAMES: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' };

/**
 * Locates the anvil executable shipped by the `@foundry-rs/anvil` npm package.
 *
 * The package for the current platform (`@foundry-rs/anvil-<platform>-<amd64|arm64>`)
 * is preferred; `@foundry-rs/anvil-linux-amd64` is the fallback. Platform first
 * because a Linux binary copied into node_modules on another OS would resolve
 * but could not run.
 *
 * @throws Error listing the packages tried when none provides a binary.
 */
export function resolveAnvilBinary(): string {
  const arch = ARCH_NAMES[process.arch];
  const candidates = [
    ...(arch ? [`@foundry-rs/anvil-${process.platform}-${arch}`] : []),
    '@foundry-rs/anvil-linux-amd64',
  ].filter((name, i, all) => all.indexOf(name) === i);
  const binaryName = process.platform === 'win32' ? 'anvil.exe' : 'anvil';

  for (const pkg of candidates) {
    let packageJson: string;
    try {
      packageJson = require.resolve(`${pkg}/package.json`);
    } catch {
      continue;
    }
    const binary = join(dirname(packageJson), 'bin', binaryName);
    if (existsSync(binary)) return binary;
  }
  throw new Error(
    `anvil binary not found (tried ${candidates.join(', ')}); is @foundry-rs/anvil installed with optional dependencies?`,
  );
}

/**
 * Starts an anvil node as a child process and resolves once it answers
 * `eth_chainId`. The node runs `--hardfork cancun` with the anvil mnemonic.
 *
 * The child is killed if this process exits (normal exit, `process.exit`,
 * uncaught exception) and on SIGINT/SIGTERM/SIGHUP when nothing else handles
 * those signals; a process with its own signal handlers must call `stop()`.
 *
 * @throws Error if the options are invalid, an explicit port is taken, the
 *   binary cannot be spawned, anvil exits during startup, or it does not
 *   answer within `startupTimeoutMs` (the message includes anvil's output).
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const host = options.host ?? '127.0.0.1';
  const chainId = options.chainId ?? DEFAULT_CHAIN_ID;
  const accounts = options.accounts ?? 10;
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const requestedPort = options.port ?? 0;
  validateOptions(options, { chainId, accounts, requestedPort });

  const binary = options.binaryPath ?? resolveAnvilBinary();
  const extraArgs: string[] = [];
  if (options.blockTimeSeconds !== undefined) extraArgs.push('--block-time', String(options.blockTimeSeconds));
  if (options.noMining) extraArgs.push('--no-mining');

  for (let attempt = 1; ; attempt++) {
    const port = requestedPort === 0 ? await pickFreePort(host) : await assertPortFree(host, requestedPort);
    const args = [
      '--host', host,
      '--port', String(port),
      '--chain-id', String(chainId),
      '--hardfork', 'cancun',
      '--accounts', String(accounts),
      '--mnemonic', ANVIL_MNEMONIC,
      '--silent',
      ...extraArgs,
    ];
    try {
      return await launch(binary, args, { host, port, chainId, timeoutMs });
    } catch (err) {
      // A picked port can be grabbed by someone else between our probe and
      // anvil's bind (parallel test workers do this); pick again.
      const retry = requestedPort === 0 && err instanceof PortInUseError && attempt < MAX_PORT_ATTEMPTS;
      if (!retry) throw err;
    }
  }
}

class PortInUseError extends Error {}

function validateOptions(
  options: StartAnvilOptions,
  v: { chainId: number; accounts: number; requestedPort: number },
): void {
  if (!Number.isInteger(v.requestedPort) || v.requestedPort < 0 || v.requestedPort > 65535) {
    throw new RangeError(`startAnvil: port must be an integer 0-65535, got ${v.requestedPort}`);
  }
  if (!Number.isSafeInteger(v.chainId) || v.chainId <= 0) {
    throw new RangeError(`startAnvil: chainId must be a positive integer, got ${v.chainId}`);
  }
  if (!Number.isInteger(v.accounts) || v.accounts < 0) {
    throw new RangeError(`startAnvil: accounts must be a non-negative integer, got ${v.accounts}`);
  }
  if (options.blockTimeSeconds !== undefined && !(options.blockTimeSeconds > 0 && Number.isFinite(options.blockTimeSeconds))) {
    throw new RangeError(`startAnvil: blockTimeSeconds must be a positive number, got ${options.blockTimeSeconds}`);
  }
  if (options.noMining && options.blockTimeSeconds !== undefined) {
    throw new Error('startAnvil: noMining and blockTimeSeconds are mutually exclusive');
  }
}

/** Asks the OS for a free port by binding port 0 and releasing it immediately. */
function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`could not pick a free port on ${host}`))));
    });
  });
}

/**
 * Checks an explicit port before spawning. Without this, readiness polling
 * could reach whatever node already listens there and report success for a
 * process that is about to exit with "Address already in use".
 */
function assertPortFree(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`startAnvil: port ${port} on ${host} is already in use`) : err);
    });
    server.listen(port, host, () => server.close(() => resolve(port)));
  });
}

function rpcUrlFor(host: string, port: number): string {
  // A wildcard bind address is not something a client can connect to.
  const connectHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
}

async function launch(
  binary: string,
  args: string[],
  cfg: { host: string; port: number; chainId: number; timeoutMs: number },
): Promise<AnvilInstance> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let output = '';
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);

  let exitInfo: AnvilExit | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<AnvilExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      untrack(child);
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      spawnError = err;
      // 'exit' does not follow a failed spawn; settle here so nobody waits forever.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        untrack(child);
        resolve(exitInfo);
      }
    });
  });
  track(child);

  const stop = async (): Promise<void> => {
    if (exitInfo) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    killer.unref();
    await exited;
    clearTimeout(killer);
  };

  const rpcUrl = rpcUrlFor(cfg.host, cfg.port);
  const deadline = Date.now() + cfg.timeoutMs;
  try {
    for (;;) {
      if (spawnError) throw new Error(`startAnvil: could not run ${binary}: ${spawnError.message}`);
      if (exitInfo) {
        if (/address already in use/i.test(output)) throw new PortInUseError(`port ${cfg.port} is in use`);
        throw new Error(
          `startAnvil: anvil exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal}): ${output.trim()}`,
        );
      }
      const answered = await queryChainId(rpcUrl);
      if (answered !== undefined) {
        if (answered !== cfg.chainId) {
          throw new Error(`startAnvil: node at ${rpcUrl} reports chain id ${answered}, expected ${cfg.chainId}`);
        }
        if (!exitInfo) break;
      }
      if (Date.now() > deadline) {
        throw new Error(`startAnvil: anvil did not answer eth_chainId on ${rpcUrl} within ${cfg.timeoutMs} ms: ${output.trim()}`);
      }
      await delay(POLL_INTERVAL_MS);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return { rpcUrl, port: cfg.port, chainId: cfg.chainId, pid: child.pid as number, exited, stop };
}

/** Chain id reported by the node, or undefined if it is not answering yet. */
async function queryChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === 'string' ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------
// Orphan protection. anvil is a separate OS process and would outlive a
// crashed test run or a killed dev server, holding its port. One set of
// process hooks covers every live child and is removed when none are left, so
// idle imports of this module do not change signal semantics.

const liveChildren = new Set<ChildProcess>();
const HANDLED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllChildren(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // If the host installed its own handler it owns shutdown (and is expected to
  // call stop()); the 'exit' hook still catches anything left behind.
  if (process.listenerCount(signal) > 1) return;
  killAllChildren();
  uninstallHooks();
  // Re-raise so the process dies exactly as it would have without us.
  process.kill(process.pid, signal);
}

const signalHandlers = new Map<NodeJS.Signals, () => void>(HANDLED_SIGNALS.map((s) => [s, () => onSignal(s)]));
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildren);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', killAllChildren);
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
}

function track(child: ChildProcess): void {
  liveChildren.add(child);
  installHooks();
}

function untrack(child: ChildProcess): void {
  liveChildren.delete(child);
  if (liveChildren.size === 0) uninstallHooks();
}
