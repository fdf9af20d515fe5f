/**
 * Running the load generator for a scenario: fresh payers and signed bodies per run, the load generator in
 * its own process (metered with the stack's processes), and the unmeasured warm-up.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Address } from 'viem';
import type { LoadOptions, LoadResult } from './load';
import { ProcessMeter, type ProcessUsage } from './proc';
import { checkSample, signBodies, writeBodies, type SigningContext } from './sign';
import { spawnTs, waitLine, type BenchStack } from './stack';
import { type Flags } from './flags';
import { round } from './results';

export interface Harness {
  flags: Flags;
  stack: BenchStack;
  dir: string;
  signing: SigningContext;
  log: (line: string) => void;
  /** Files written so far (names only unique within the run). */
  seq: number;
}

/** Gives the next bodies payers of their own (see BenchStack.fundPayers for why). */
export async function freshPayers(h: Harness): Promise<void> {
  h.signing.payers = await h.stack.fundPayers(h.flags.payers);
}

/** Signs `count` fresh bodies (to `payTo`), checks a sample with the JS path, writes them; returns the file. */
export async function prepareBodies(h: Harness, count: number, payTo?: Address): Promise<string> {
  const started = performance.now();
  const ctx = payTo ? { ...h.signing, payTo } : h.signing;
  const bodies = signBodies(ctx, count, h.seq * 7);
  await checkSample(ctx, bodies);
  const file = join(h.dir, `bodies-${++h.seq}.ndjson`);
  writeBodies(file, bodies);
  h.log(`  signed ${count.toLocaleString('en-US')} authorizations in ${round((performance.now() - started) / 1000, 1)} s`);
  return file;
}

/**
 * Runs bench/load.ts in its own process. When `meter` is set, every stack process (and the load generator)
 * is measured from the moment the generator starts sending until `until` resolves after the load ends.
 */
export async function runLoad(
  h: Harness,
  opts: LoadOptions,
  meter: boolean,
  until?: (r: LoadResult) => Promise<void>,
): Promise<{ result: LoadResult; processes: ProcessUsage[] }> {
  const optsFile = join(h.dir, `load-${++h.seq}.json`);
  writeFileSync(optsFile, JSON.stringify(opts));
  const load = spawnTs('load generator', 'bench/load.ts', {}, { stdin: true, paths: false, args: [optsFile] });
  try {
    await waitLine(load, /^READY$/, 120_000);
    // Fresh statistics before every measured run, as autovacuum keeps them on a live database. The bench
    // database starts empty and grows by thousands of rows a second, faster than autoanalyze notices; plans
    // made on "empty table" estimates (and cached in the API's connections) scan whole partial indexes per
    // request. ANALYZE also invalidates those cached plans.
    if (meter && h.flags.analyze) await h.stack.db.query('ANALYZE');
    const resultLine = waitLine(load, /^RESULT (.*)$/, 24 * 3600_000);
    const m = meter ? new ProcessMeter([...h.stack.meteredProcesses(), { name: 'load generator', pid: load.pid }], h.stack.postgresGroups()) : undefined;
    await m?.start();
    load.child.stdin!.write('GO\n');
    const [, json] = await resultLine;
    const result = JSON.parse(json) as LoadResult;
    await until?.(result);
    const processes = (await m?.stop()) ?? [];
    return { result, processes };
  } finally {
    load.child.stdin?.end();
    await load.stop();
  }
}

export const authHeaders = (h: Harness, target: 'tollgate' | 'reference'): Record<string, string> => (target === 'tollgate' ? { authorization: `Bearer ${h.stack.apiKey}` } : {});
export const baseUrl = (h: Harness, target: 'tollgate' | 'reference') => (target === 'tollgate' ? h.stack.apiUrl : h.stack.referenceUrl!);

/**
 * Unmeasured load on one endpoint before its first measured run: a freshly started Node process runs its
 * first few thousand requests through the interpreter and opens its database and RPC connections lazily,
 * which would be charged to concurrency 1 otherwise.
 */
export async function warmUp(h: Harness, target: 'tollgate' | 'reference', path: '/verify' | '/settle'): Promise<number | undefined> {
  const seconds = h.flags.warmup;
  if (seconds <= 0) return undefined;
  h.log(`warm-up: ${target} ${path} for ${seconds} s (not measured)`);
  const connections = 8;
  await freshPayers(h);
  const file = await prepareBodies(h, Math.ceil((path === '/verify' ? 1500 : 300) * seconds) + connections);
  const { result } = await runLoad(
    h,
    { mode: 'closed', url: baseUrl(h, target), path, bodiesFile: file, headers: authHeaders(h, target), connections, durationSeconds: seconds, timeoutSeconds: 30 },
    false,
  );
  rmSync(file, { force: true });
  const e = result.endpoints[0];
  if (e.ok === 0) throw new Error(`warm-up ${target} ${path}: no valid answer (${JSON.stringify(e.reasons)}; ${e.samples[0] ?? 'no sample'})`);
  return result.rps;
}
