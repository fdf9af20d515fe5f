/**
 * Process supervision for the chaos run: the API and the worker kept alive (a death not asked for is counted
 * as a crash and restarted), the run's log line, and direct JSON-RPC calls to anvil (never through the proxy).
 */
import { type WriteStream } from 'node:fs';
import { spawnTs, type ManagedProcess } from '../bench/stack';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** A process the run keeps alive: restarted when it dies on its own (counted as a crash), killed on command. */
export class Supervised {
  proc?: ManagedProcess;
  crashes = 0;
  starts = 0;
  private expected = new Set<ManagedProcess>();
  stopping = false;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: Record<string, string>,
    private readonly healthUrl: string,
    private readonly logStream: WriteStream,
  ) {}

  spawn(): ManagedProcess {
    const p = spawnTs(this.name, this.script, this.env);
    this.starts++;
    this.proc = p;
    p.child.stdout?.on('data', (c: Buffer) => this.logStream.write(c));
    p.child.stderr?.on('data', (c: Buffer) => this.logStream.write(c));
    p.child.once('exit', (code, signal) => {
      if (this.expected.has(p) || this.stopping) return;
      this.crashes++;
      log(`${this.name} exited on its own (code ${code}, signal ${signal}); restarting it`);
      this.logStream.write(`\n[chaos] ${this.name} exited on its own (code ${code}, signal ${signal})\n`);
      if (this.proc === p) setTimeout(() => !this.stopping && this.proc === p && this.spawn(), 500);
    });
    return p;
  }

  /** SIGKILL the current process (an expected death) and wait for it to be gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    this.expected.add(p);
    const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGKILL');
    await gone;
  }

  /** Polls the health URL until 2xx (or throws after `timeoutMs`). */
  async ready(timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      try {
        const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return Date.now() - t0;
      } catch {
        // not up yet
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.proc?.tail() ?? ''}`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.proc?.stop();
  }
}

/** One JSON-RPC call straight to anvil (never through the proxy). */
export async function anvilRpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
