/**
 * `npm run bench`: throughput and latency of Tollgate against the official x402 facilitator, on a private
 * local stack (anvil, Postgres, Redis; API, worker, reference facilitator and load generator each in its
 * own process).
 *
 *   npm run bench                          full run (10 s per step), writes BENCHMARKS.md
 *   npm run bench -- --quick               smoke run (a few seconds per step), does not write BENCHMARKS.md
 *   npm run bench -- --json                the same, plus one JSON object as the last line of stdout
 *
 * Flags: --quick, --duration <s> (per step, default 10), --scenarios verify,settle,e2e,gas, --no-reference,
 * --json, --payers <n> (fresh payers per run, default 100), --settle-rate <req/s> (default 1000), --settle-connections <n>
 * (default 50), --settle-without-verify, --e2e-payments <n> (default 5000; 500 quick), --e2e-connections <n>
 * (default 50), --concurrency <list> (default 1,2,4,6,8,12,16,24,32,48,64,96,128: steps of 1.5–2× so the best step under the p99 limit is found to within ≈ 25 %), --p99-limit <ms> (default 25),
 * --warmup <s> (unmeasured load before each facilitator's first run of an endpoint; default 3, quick 1),
 * --env KEY=VALUE (repeatable; Tollgate settings), --write / --no-write (BENCHMARKS.md), --keep-db,
 * --no-analyze (skip the ANALYZE of the bench database before each measured run),
 * --profile (API and worker under `node --cpu-prof`; the .cpuprofile paths are printed at the end; profiling
 * slows them, so numbers from such a run are not comparable).
 *
 * Scenarios:
 * 1. verify: closed loop at concurrency 1, 2, 4, … for --duration each, fresh authorizations every step,
 *    stopping after the first step whose p99 exceeds the limit; the best step within the limit is the
 *    result. Same against the reference; ratio = Tollgate / reference.
 * 2. settle (deferred): the bodies are verified first (as a resource server does), then /settle is sent
 *    open-loop at --settle-rate for --duration. Same rate against the reference, which settles on chain
 *    synchronously (bounded by a 30 s request timeout; requests it is too far behind to start are "unsent").
 * 3. e2e: verify + settle of --e2e-payments payments as fast as the API takes them, then until every one is
 *    `confirmed` in Postgres: payments per minute, and inclusion latency (queued_at → included_at).
 * 4. gas: `bench/gas.ts --json` (npm run bench:gas) in a child process.
 *
 * Before every measured run the bench database is ANALYZEd (see runLoad) and every run signs with payers
 * funded for it alone (see BenchStack.fundPayers).
 *
 * Exit status: 0 when every scenario ran with valid answers only and every settled payment reached a final
 * status (targets met or not); 1 when a scenario failed (rejected payments, transport errors, payments that
 * never became final, crash); 64 bad flags; 130 interrupted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Address } from 'viem';
import type { EndpointResult, LoadOptions, LoadResult } from './load';
import { ProcessMeter, type ProcessUsage } from './proc';
import { checkSample, signBodies, writeBodies, type SigningContext } from './sign';
import { REPO_ROOT, spawnTs, startBenchStack, waitLine, type BenchStack } from './stack';

const TARGETS = { verifyRps: 2000, verifyP99Ms: 25, verifyRatio: 3, settleRate: 1000, settleP99Ms: 10, paymentsPerMinute: 20_000 };
const AMOUNT = 1_000n; // 0.001 token per payment
const SCENARIOS = ['verify', 'settle', 'e2e', 'gas'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Parsed command line. */
interface Flags {
  quick: boolean;
  duration: number;
  scenarios: Set<Scenario>;
  reference: boolean;
  json: boolean;
  payers: number;
  settleRate: number;
  settleConnections: number;
  settleWithoutVerify: boolean;
  e2ePayments: number;
  e2eConnections: number;
  concurrency: number[];
  p99Limit: number;
  /** Seconds of unmeasured load before a facilitator's first measured run (JIT, connection pools). */
  warmup: number;
  /** ANALYZE the bench database before every measured run (default on; `--no-analyze` to see the difference). */
  analyze: boolean;
  /** Run the API and the worker under `node --cpu-prof` (profiles kept in a temp directory). */
  profile: boolean;
  env: Record<string, string>;
  write: boolean;
  keepDb: boolean;
}

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      scenarios: { type: 'string' },
      'no-reference': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      payers: { type: 'string' },
      'settle-rate': { type: 'string' },
      'settle-connections': { type: 'string' },
      'settle-without-verify': { type: 'boolean', default: false },
      'e2e-payments': { type: 'string' },
      'e2e-connections': { type: 'string' },
      concurrency: { type: 'string' },
      'p99-limit': { type: 'string' },
      warmup: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'no-analyze': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number ${min}-${max}, got "${v}"`);
    return n;
  };
  const quick = values.quick ?? false;
  const scenarios = new Set<Scenario>();
  for (const s of (values.scenarios ?? SCENARIOS.join(',')).split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new UsageError(`--scenarios: unknown "${s}" (known: ${SCENARIOS.join(', ')})`);
    scenarios.add(s as Scenario);
  }
  const concurrency = (values.concurrency ?? '1,2,4,6,8,12,16,24,32,48,64,96,128').split(',').map((s) => num('concurrency', s.trim(), 1, 1, 1024));
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(kv);
    if (!m) throw new UsageError(`--env expects KEY=VALUE, got "${kv}"`);
    env[m[1]] = m[2];
  }
  return {
    quick,
    duration: num('duration', values.duration, quick ? 3 : 10, 1, 600),
    scenarios,
    reference: !values['no-reference'],
    json: values.json ?? false,
    payers: num('payers', values.payers, 100, 1, 10_000),
    settleRate: num('settle-rate', values['settle-rate'], TARGETS.settleRate, 1, 100_000),
    settleConnections: num('settle-connections', values['settle-connections'], 50, 1, 1024),
    settleWithoutVerify: values['settle-without-verify'] ?? false,
    e2ePayments: num('e2e-payments', values['e2e-payments'], quick ? 500 : 5000, 1, 1_000_000),
    e2eConnections: num('e2e-connections', values['e2e-connections'], 50, 1, 1024),
    concurrency,
    p99Limit: num('p99-limit', values['p99-limit'], TARGETS.verifyP99Ms, 0.1, 60_000),
    warmup: num('warmup', values.warmup, quick ? 1 : 3, 0, 600),
    profile: values.profile ?? false,
    analyze: !values['no-analyze'],
    env,
    // BENCHMARKS.md holds the full comparison: smoke and partial runs (quick, a subset of scenarios, no
    // reference, extra Tollgate settings) write it only when asked with --write.
    write: values['no-write'] ? false : values.write ?? (!quick && scenarios.size === SCENARIOS.length && !values['no-reference'] && Object.keys(env).length === 0),
    keepDb: values['keep-db'] ?? false,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Results

/** One load run against one facilitator, with the processes' usage over it. */
interface RunSummary {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  responses: number;
  ok: number;
  /** isValid=false / success=false answers. */
  rejected: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  reasons: Record<string, number>;
  samples: string[];
  elapsedSeconds: number;
  exhausted: boolean;
  processes: ProcessUsage[];
}

interface VerifyStep extends RunSummary {
  concurrency: number;
}

interface VerifyOutcome {
  steps: VerifyStep[];
  best: VerifyStep | null;
  /** Every step answered valid only, without transport errors. */
  valid: boolean;
}

interface SettleOutcome extends RunSummary {
  rate: number;
  connections: number;
  scheduled: number;
  unsent: number;
  /** Service time (from the write, without client-side queueing). */
  serviceP50: number;
  serviceP99: number;
  preVerified: boolean;
  /** Tollgate: seconds from the first /settle until the worker had every queued payment confirmed. */
  drainSeconds?: number | null;
  /** Tollgate: what was left unsettled when the wait gave up. */
  stuck?: DrainResult;
  valid: boolean;
}

interface EndToEndOutcome {
  payments: number;
  confirmed: number;
  failed: number;
  pending: number;
  /** From the first request to the last `confirmed_at`. */
  durationMs: number;
  paymentsPerMinute: number;
  /** verify + settle pairs per second while the load ran (API acceptance rate). */
  acceptedPerSecond: number;
  inclusionP50Ms: number | null;
  inclusionP95Ms: number | null;
  /** queued_at → confirmed_at. */
  confirmationP95Ms: number | null;
  batches: number;
  batchSizeMin: number;
  batchSizeMean: number;
  batchSizeMax: number;
  verify: { p50: number; p99: number; rejected: number };
  settle: { p50: number; p99: number; rejected: number };
  processes: ProcessUsage[];
  valid: boolean;
  reasons: Record<string, number>;
}

interface GasOutcome {
  single: number;
  batches: Array<{ size: number; gasPerPayment: number; ratio: number }>;
  fresh?: { single: number; batches: Array<{ size: number; gasPerPayment: number; ratio: number }> };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function summarizeRun(r: LoadResult, processes: ProcessUsage[], endpoint?: EndpointResult): RunSummary {
  const e = endpoint ?? r.endpoints[0];
  return {
    rps: r.rps,
    p50: e.latency.p50,
    p95: e.latency.p95,
    p99: e.latency.p99,
    max: e.latency.max,
    responses: e.responses,
    ok: e.ok,
    rejected: e.rejected,
    non2xx: e.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    reasons: e.reasons,
    samples: e.samples,
    elapsedSeconds: r.elapsedSeconds,
    exhausted: r.exhausted,
    processes,
  };
}

const cleanRun = (s: RunSummary) => s.rejected === 0 && s.non2xx === 0 && s.errors === 0 && s.responses > 0;

// ---------------------------------------------------------------------------------------------------------
// Running the load generator

interface Harness {
  flags: Flags;
  stack: BenchStack;
  dir: string;
  signing: SigningContext;
  log: (line: string) => void;
  /** Files written so far (names only unique within the run). */
  seq: number;
}

/** Gives the next bodies payers of their own (see BenchStack.fundPayers for why). */
async function freshPayers(h: Harness): Promise<void> {
  h.signing.payers = await h.stack.fundPayers(h.flags.payers);
}

/** Signs `count` fresh bodies (to `payTo`), checks a sample with the JS path, writes them; returns the file. */
async function prepareBodies(h: Harness, count: number, payTo?: Address): Promise<string> {
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
async function runLoad(
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

const authHeaders = (h: Harness, target: 'tollgate' | 'reference'): Record<string, string> => (target === 'tollgate' ? { authorization: `Bearer ${h.stack.apiKey}` } : {});
const baseUrl = (h: Harness, target: 'tollgate' | 'reference') => (target === 'tollgate' ? h.stack.apiUrl : h.stack.referenceUrl!);

/**
 * Unmeasured load on one endpoint before its first measured run: a freshly started Node process runs its
 * first few thousand requests through the interpreter and opens its database and RPC connections lazily,
 * which would be charged to concurrency 1 otherwise.
 */
async function warmUp(h: Harness, target: 'tollgate' | 'reference', path: '/verify' | '/settle'): Promise<number | undefined> {
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

// ---------------------------------------------------------------------------------------------------------
// Scenario 1: /verify at increasing concurrency

/**
 * How many bodies a step needs: the previous step's rate, grown as concurrency doubles, capped at twice
 * what the warm-up (8 connections) reached, plus margin. Too few only costs a re-run of the step.
 */
function verifyBodyCount(steps: VerifyStep[], concurrency: number, seconds: number, warmupRps?: number): number {
  const last = steps[steps.length - 1];
  let rate = 1500;
  if (last) {
    const before = steps[steps.length - 2];
    const growth = before && before.rps > 0 ? last.rps / before.rps : 2;
    rate = last.rps * Math.min(2.2, Math.max(1.3, growth * 1.3));
  }
  if (warmupRps) rate = Math.min(rate, warmupRps * 2);
  return Math.ceil(Math.max(rate, 200) * seconds * 1.15) + concurrency * 2;
}

async function verifyScenario(h: Harness, target: 'tollgate' | 'reference'): Promise<VerifyOutcome> {
  const steps: VerifyStep[] = [];
  const d = h.flags.duration;
  const warmupRps = await warmUp(h, target, '/verify');
  for (const c of h.flags.concurrency) {
    let count = verifyBodyCount(steps, c, d, warmupRps);
    let step: VerifyStep | undefined;
    // A step that ran out of bodies early is re-run once with enough (its rate is now known).
    for (let attempt = 0; attempt < 2; attempt++) {
      h.log(`verify ${target} c=${c}${attempt ? ' (again, with more authorizations)' : ''}`);
      await freshPayers(h);
      const file = await prepareBodies(h, count);
      const { result, processes } = await runLoad(
        h,
        { mode: 'closed', url: baseUrl(h, target), path: '/verify', bodiesFile: file, headers: authHeaders(h, target), connections: c, durationSeconds: d, timeoutSeconds: 10 },
        true,
      );
      rmSync(file, { force: true });
      step = { concurrency: c, ...summarizeRun(result, processes) };
      if (!(result.exhausted && result.elapsedSeconds < 0.9 * d)) break;
      count = Math.ceil(result.rps * d * 1.5) + c * 2;
    }
    steps.push(step!);
    h.log(
      `  ${round(step!.rps, 0)} req/s, p50 ${step!.p50} ms, p95 ${step!.p95} ms, p99 ${step!.p99} ms` +
        (step!.rejected || step!.non2xx || step!.errors ? `, ${step!.rejected} invalid, ${step!.non2xx} non-2xx, ${step!.errors} errors` : ''),
    );
    if (step!.p99 > h.flags.p99Limit) break;
  }
  const within = steps.filter((s) => s.p99 <= h.flags.p99Limit && cleanRun(s));
  const best = within.reduce<VerifyStep | null>((b, s) => (!b || s.rps > b.rps ? s : b), null);
  return { steps, best, valid: steps.every(cleanRun) };
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 2: deferred /settle at a fixed rate

/** Statuses a queued payment passes through before a final one. */
const IN_FLIGHT = ['queued', 'batched', 'submitted', 'included'];

/** Where a wait for settlement ended. */
interface DrainResult {
  drained: boolean;
  /** Unsettled payments by status when the wait gave up. */
  stuck: Record<string, number>;
  /** Of those, `included` payments whose batch is failed or cancelled: nothing will ever confirm them. */
  orphaned: number;
}

/**
 * Waits until no payment (of `payTo`, or any) is `verified`-and-settled-but-unfinished, i.e. in `statuses`.
 * Gives up at `timeoutMs`, or earlier when nothing has moved for `stallMs` (a stuck payment would otherwise
 * hold the run for the whole timeout).
 */
async function waitSettled(h: Harness, o: { timeoutMs: number; stallMs?: number; payTo?: string; statuses?: string[] }): Promise<DrainResult> {
  const statuses = o.statuses ?? IN_FLIGHT;
  const deadline = Date.now() + o.timeoutMs;
  const stallMs = o.stallMs ?? 30_000;
  const where = `status = ANY($1)${o.payTo ? ' AND pay_to = $2' : ''}`;
  const params = o.payTo ? [statuses, o.payTo] : [statuses];
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const rows: Array<{ status: string; n: string }> = await h.stack.db.query(`SELECT status, count(*)::text AS n FROM payments WHERE ${where} GROUP BY status`, params);
    if (rows.length === 0) return { drained: true, stuck: {}, orphaned: 0 };
    const snapshot = JSON.stringify(rows.sort((a, b) => a.status.localeCompare(b.status)));
    if (snapshot !== last) {
      last = snapshot;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > stallMs) {
      const stuck = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const [{ n: orphaned }]: Array<{ n: string }> = await h.stack.db.query(
        `SELECT count(*)::text AS n FROM payments p JOIN settlement_batches b ON b.id = p.batch_id
          WHERE p.status = 'included' AND b.status IN ('failed', 'cancelled')${o.payTo ? ' AND p.pay_to = $1' : ''}`,
        o.payTo ? [o.payTo] : [],
      );
      h.log(
        `  gave up waiting (${Date.now() > deadline ? `${o.timeoutMs / 1000} s timeout` : `nothing moved for ${stallMs / 1000} s`}): ` +
          `${Object.entries(stuck).map(([k, v]) => `${v} ${k}`).join(', ')}` +
          (Number(orphaned) ? `; ${orphaned} of them are 'included' in a batch marked failed/cancelled (they will never confirm)` : ''),
      );
      const tail = h.stack.worker.tail();
      if (tail) h.log(`  worker's last output:\n${tail}`);
      return { drained: false, stuck, orphaned: Number(orphaned) };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function settleScenario(h: Harness, target: 'tollgate' | 'reference'): Promise<SettleOutcome> {
  const { settleRate: rate, settleConnections: connections, duration } = h.flags;
  const count = Math.ceil(rate * duration);
  await freshPayers(h);
  const file = await prepareBodies(h, count);
  const preVerify = target === 'tollgate' && !h.flags.settleWithoutVerify;
  if (preVerify) {
    // A resource server calls /verify before it serves and /settle after: settle the way it meets payments.
    h.log(`settle tollgate: verifying the ${count.toLocaleString('en-US')} payments first (not measured)`);
    const { result } = await runLoad(
      h,
      { mode: 'closed', url: h.stack.apiUrl, path: '/verify', bodiesFile: file, headers: authHeaders(h, target), connections: 32, durationSeconds: 3600, timeoutSeconds: 10 },
      false,
    );
    const e = result.endpoints[0];
    if (e.ok !== count) throw new Error(`pre-verify: ${e.ok}/${count} valid (${JSON.stringify(e.reasons)}; ${e.samples[0] ?? ''})`);
  }
  await warmUp(h, target, '/settle');
  // The warm-up's payments must not still occupy the worker when the measured run starts.
  if (target === 'tollgate') await waitSettled(h, { timeoutMs: 120_000 });
  h.log(`settle ${target}: ${rate} req/s for ${duration} s, ${connections} connections`);
  const settleStarted = Date.now();
  let drainSeconds: number | null | undefined;
  let stuck: DrainResult | undefined;
  const { result, processes } = await runLoad(
    h,
    {
      mode: 'paced',
      url: baseUrl(h, target),
      path: '/settle',
      bodiesFile: file,
      headers: authHeaders(h, target),
      connections,
      rate,
      durationSeconds: duration,
      // The reference settles on chain inside the request: bound how long it may keep one.
      timeoutSeconds: target === 'tollgate' ? 10 : 30,
      lateStartGraceMs: 1000,
    },
    true,
  );
  rmSync(file, { force: true });
  if (target === 'tollgate') {
    // Not part of the /settle latency: how long the worker needs to put everything on chain afterwards.
    const drain = await waitSettled(h, { timeoutMs: h.flags.quick ? 120_000 : 300_000 });
    drainSeconds = drain.drained ? round((Date.now() - settleStarted) / 1000, 1) : null;
    if (!drain.drained) stuck = drain;
  }
  const e = result.endpoints[0];
  const s = summarizeRun(result, processes);
  const out: SettleOutcome = {
    ...s,
    rate,
    connections,
    scheduled: result.scheduled ?? count,
    unsent: result.unsent ?? 0,
    serviceP50: e.serviceLatency?.p50 ?? 0,
    serviceP99: e.serviceLatency?.p99 ?? 0,
    preVerified: preVerify,
    drainSeconds,
    stuck,
    // Every answer was a success and (Tollgate) every queued payment then reached a final status.
    valid: cleanRun(s) && !stuck,
  };
  h.log(
    `  ${round(out.rps, 0)} req/s, p50 ${out.p50} ms, p95 ${out.p95} ms, p99 ${out.p99} ms` +
      (out.unsent ? `, ${out.unsent} not sent (too far behind)` : '') +
      (out.rejected || out.non2xx || out.errors ? `, ${out.rejected} unsuccessful, ${out.non2xx} non-2xx, ${out.errors} errors` : '') +
      (drainSeconds !== undefined ? `; worker drained the queue ${drainSeconds === null ? 'NOT within the timeout' : `${drainSeconds} s after the first settle`}` : ''),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 3: end to end

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function endToEndScenario(h: Harness): Promise<EndToEndOutcome> {
  const connections = h.flags.e2eConnections;
  // Every connection runs the same number of verify + settle pairs (autocannon splits requests evenly).
  const payments = Math.ceil(h.flags.e2ePayments / connections) * connections;
  const payTo = h.stack.endToEndPayTo.toLowerCase();
  // Earlier scenarios' payments must not compete for the worker; stuck ones (reported there) cannot, so go on.
  await waitSettled(h, { timeoutMs: 300_000 });
  await freshPayers(h);
  const file = await prepareBodies(h, payments + connections, h.stack.endToEndPayTo);
  h.log(`e2e: ${payments.toLocaleString('en-US')} payments (verify + settle each), ${connections} connections, then until all are confirmed`);
  const timeoutMs = h.flags.quick ? 120_000 : 300_000;
  let drain: DrainResult | undefined;
  const { result, processes } = await runLoad(
    h,
    { mode: 'pair', url: h.stack.apiUrl, bodiesFile: file, headers: authHeaders(h, 'tollgate'), connections, payments, timeoutSeconds: 10 },
    true,
    async () => {
      drain = await waitSettled(h, { timeoutMs, payTo, statuses: ['verified', ...IN_FLIGHT] });
    },
  );
  rmSync(file, { force: true });
  const rows: Array<{ status: string; queued_ms: string | null; included_ms: string | null; confirmed_ms: string | null; tx_hash: string | null; failure_reason: string | null }> =
    await h.stack.db.query(
      `SELECT status, failure_reason, tx_hash,
              (extract(epoch FROM queued_at) * 1000)::text AS queued_ms,
              (extract(epoch FROM included_at) * 1000)::text AS included_ms,
              (extract(epoch FROM confirmed_at) * 1000)::text AS confirmed_ms
         FROM payments WHERE pay_to = $1`,
      [payTo],
    );
  const confirmedRows = rows.filter((r) => r.status === 'confirmed');
  const lastConfirmed = Math.max(...confirmedRows.map((r) => Number(r.confirmed_ms)));
  const durationMs = confirmedRows.length ? Math.max(1, lastConfirmed - result.startedAt) : 0;
  const inclusion = confirmedRows.filter((r) => r.queued_ms && r.included_ms).map((r) => Number(r.included_ms) - Number(r.queued_ms));
  const confirmation = confirmedRows.filter((r) => r.queued_ms && r.confirmed_ms).map((r) => Number(r.confirmed_ms) - Number(r.queued_ms));
  const perTx = new Map<string, number>();
  for (const r of confirmedRows) if (r.tx_hash) perTx.set(r.tx_hash, (perTx.get(r.tx_hash) ?? 0) + 1);
  const sizes = [...perTx.values()];
  const reasons: Record<string, number> = {};
  for (const r of rows.filter((x) => x.status === 'failed' || x.status === 'lapsed')) reasons[r.failure_reason ?? r.status] = (reasons[r.failure_reason ?? r.status] ?? 0) + 1;
  const v = result.endpoints.find((e) => e.path === '/verify')!;
  const s = result.endpoints.find((e) => e.path === '/settle')!;
  for (const e of [v, s]) for (const [k, n] of Object.entries(e.reasons)) reasons[`${e.path}: ${k}`] = (reasons[`${e.path}: ${k}`] ?? 0) + n;
  const failed = rows.filter((r) => r.status === 'failed' || r.status === 'lapsed').length;
  for (const [status, n] of Object.entries(drain?.stuck ?? {})) reasons[`never final: ${status}`] = n;
  if (drain?.orphaned) reasons["never final: 'included' in a failed batch"] = drain.orphaned;
  const out: EndToEndOutcome = {
    payments,
    confirmed: confirmedRows.length,
    failed,
    pending: payments - confirmedRows.length - failed,
    durationMs: Math.round(durationMs),
    paymentsPerMinute: durationMs ? Math.round((confirmedRows.length / durationMs) * 60_000) : 0,
    acceptedPerSecond: result.rps,
    inclusionP50Ms: percentile(inclusion, 50),
    inclusionP95Ms: percentile(inclusion, 95),
    confirmationP95Ms: percentile(confirmation, 95),
    batches: sizes.length,
    batchSizeMin: sizes.length ? Math.min(...sizes) : 0,
    batchSizeMean: sizes.length ? round(sizes.reduce((a, b) => a + b, 0) / sizes.length, 1) : 0,
    batchSizeMax: sizes.length ? Math.max(...sizes) : 0,
    verify: { p50: v.latency.p50, p99: v.latency.p99, rejected: v.rejected + v.non2xx },
    settle: { p50: s.latency.p50, p99: s.latency.p99, rejected: s.rejected + s.non2xx },
    processes,
    valid: confirmedRows.length === payments && result.errors === 0,
    reasons,
  };
  for (const k of ['inclusionP50Ms', 'inclusionP95Ms', 'confirmationP95Ms'] as const) if (out[k] !== null) out[k] = Math.round(out[k]!);
  h.log(
    `  ${out.confirmed}/${payments} confirmed in ${round(durationMs / 1000, 1)} s → ${out.paymentsPerMinute.toLocaleString('en-US')} payments/min; ` +
      `inclusion p50 ${out.inclusionP50Ms} ms, p95 ${out.inclusionP95Ms} ms; ${out.batches} batches`,
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 4: gas (bench/gas.ts, the `npm run bench:gas` measurement, in its own process)

async function gasScenario(log: (line: string) => void): Promise<GasOutcome> {
  log('gas: npm run bench:gas -- --json (bench/gas.ts)');
  const gas = spawnTs('bench:gas', 'bench/gas.ts', {}, { args: ['--json'] });
  let stdout = '';
  gas.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => gas.child.once('exit', r));
  if (code !== 0) throw new Error(`bench:gas exited with ${code}:\n${gas.tail()}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as GasOutcome;
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

function machine(): Machine {
  let cores = cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cores;
  } catch {
    // os.cpus() then
  }
  let cpuModel = cpus()[0]?.model.trim() ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // os.cpus() then
  }
  return { cores, cpuModel, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, loadAverageStart: loadavg().map((x) => round(x, 2)) };
}

const fmt = (x: number | null | undefined, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ms = (x: number | null | undefined) => fmt(x, 1);

function table(header: string[], rows: Array<Array<string | number>>, align?: string[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [`| ${header.join(' | ')} |`, `|${a.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The highest throughput of any clean step, whatever its latency (context when no step meets the p99 limit). */
function maxRps(o: VerifyOutcome): number | null {
  const clean = o.steps.filter(cleanRun);
  return clean.length ? Math.max(...clean.map((x) => x.rps)) : null;
}

function verifyTable(title: string, o: VerifyOutcome, limit: number): string {
  const rows = o.steps.map((s) => [
    s.concurrency,
    fmt(s.rps),
    ms(s.p50),
    ms(s.p95),
    ms(s.p99),
    s.errors,
    s.non2xx,
    s.rejected,
    s === o.best ? '**best**' : s.p99 > limit ? `p99 > ${limit} ms` : cleanRun(s) ? '' : 'FAILED',
  ]);
  return `${title}\n\n${table(['concurrency', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'non-2xx', 'isValid=false', ''], rows)}`;
}

/**
 * Per-process CPU and memory over a run. `units` (requests or payments served) adds CPU milliseconds per
 * unit, which depends far less on what else the machine is doing than throughput does: on a shared box it
 * is the number to compare between runs, and its sum over the processes bounds the throughput (cores ×
 * 1000 / sum).
 */
function processTable(rows: ProcessUsage[], units?: { count: number; label: string }): string {
  const per = (p: ProcessUsage) => (units && units.count > 0 ? fmt(p.cpuMs / units.count, 2) : '–');
  const body = rows.map((p) => [p.name, fmt(p.cpuPercent, 1), per(p), p.peakRssMb === null ? '–' : `${fmt(p.peakRssMb, 1)}${p.peakIsLifetime ? ' (lifetime)' : ''}`]);
  if (units && units.count > 0) {
    const total = rows.reduce((a, p) => a + p.cpuMs, 0);
    body.push(['**all measured**', fmt(rows.reduce((a, p) => a + p.cpuPercent, 0), 1), `**${fmt(total / units.count, 2)}**`, '']);
  }
  return table(['process', 'CPU % (of one core)', `CPU ms / ${units?.label ?? 'request'}`, 'peak RSS MiB'], body);
}

function failureNotes(label: string, s: { rejected: number; non2xx: number; errors: number; reasons: Record<string, number>; samples: string[] }): string[] {
  if (!s.rejected && !s.non2xx && !s.errors) return [];
  return [
    `**${label} FAILED**: ${s.rejected} rejected answers, ${s.non2xx} non-2xx, ${s.errors} transport errors. Reasons: ${JSON.stringify(s.reasons)}.`,
    ...s.samples.slice(0, 3).map((x) => `    sample: ${x}`),
  ];
}

interface Report {
  flags: Flags;
  machine: Machine;
  command: string;
  startedAt: Date;
  durationS?: number;
  settings: Record<string, string>;
  verify?: { tollgate: VerifyOutcome; reference?: VerifyOutcome };
  settle?: { tollgate: SettleOutcome; reference?: SettleOutcome };
  e2e?: EndToEndOutcome;
  gas?: GasOutcome;
  errors: string[];
}

function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    '## Throughput and latency (`npm run bench`)',
    '',
    `Command: \`${r.command}\` — ${r.startedAt.toISOString()}, took ${fmt(r.durationS, 0)} s.`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}. ` +
      `Load average at start ${m.loadAverageStart.join(' / ')}, at end ${m.loadAverageEnd?.join(' / ') ?? '–'} (1/5/15 min)` +
      (m.loadAverageStart[0] > m.cores * 0.5 ? ' — **the machine was busy with other work: treat these numbers as a lower bound**.' : '.'),
    '',
    'Every process is separate: anvil (automine), the API, the settlement worker, the reference facilitator and the load ' +
      'generator (autocannon for closed-loop runs, an open-loop node:http pacer for fixed-rate runs). CPU % is one core = 100 %, ' +
      'measured from /proc over the run; peak RSS is VmHWM reset at the start of the run. All processes share the same ' +
      `${m.cores} cores, Postgres and Redis. Every request carries a distinct, freshly signed authorization.`,
    '',
  );
  const shown = Object.entries(r.settings).filter(([k]) => !/URL|FILE|PREFIX|PORT|HOST/.test(k));
  if (shown.length) {
    out.push(
      `Tollgate settings (everything else at its default): ${shown.map(([k, v]) => `\`${k}=${v}\``).join(', ')}; ` +
        `each run signs with ${r.flags.payers} freshly funded payers, round-robin; 0.001 token per payment.`,
      '',
    );
  }
  const t = TARGETS;
  if (r.verify) {
    const { tollgate, reference } = r.verify;
    out.push('### 1. `/verify` (closed loop, concurrency raised in steps of 1.5–2× until p99 > ' + r.flags.p99Limit + ' ms)', '');
    out.push(verifyTable(`Tollgate (verify + Postgres write), ${r.flags.duration} s per step:`, tollgate, r.flags.p99Limit), '');
    if (reference) out.push(verifyTable(`Reference (@x402/core x402Facilitator + @x402/evm ExactEvmScheme), ${r.flags.duration} s per step:`, reference, r.flags.p99Limit), '');
    const b = tollgate.best;
    const rb = reference?.best;
    const ratio = b && rb ? b.rps / rb.rps : null;
    out.push(
      table(
        ['', 'Tollgate', 'reference', 'Tollgate / reference', 'target'],
        [
          ['best req/s with p99 ≤ ' + r.flags.p99Limit + ' ms', fmt(b?.rps), fmt(rb?.rps), ratio ? `${fmt(ratio, 2)}×` : '–', `≥ ${fmt(t.verifyRps)} req/s, ≥ ${t.verifyRatio}×`],
          ['at concurrency', b?.concurrency ?? '–', rb?.concurrency ?? '–', '', ''],
          ['highest req/s at any step (any p99)', fmt(maxRps(tollgate)), fmt(reference ? maxRps(reference) : null), '', ''],
          ['p50 / p95 / p99 ms', b ? `${ms(b.p50)} / ${ms(b.p95)} / ${ms(b.p99)}` : '–', rb ? `${ms(rb.p50)} / ${ms(rb.p95)} / ${ms(rb.p99)}` : '–', '', `p99 ≤ ${t.verifyP99Ms} ms`],
        ],
        ['---', '---:', '---:', '---:', '---'],
      ),
      '',
    );
    if (!b) out.push(`**No Tollgate step met p99 ≤ ${r.flags.p99Limit} ms** (not even concurrency ${tollgate.steps[0]?.concurrency ?? 1}).`, '');
    if (b) out.push('Processes during Tollgate\'s best step:', '', processTable(b.processes, { count: b.responses, label: 'verify' }), '');
    if (rb) out.push('Processes during the reference\'s best step:', '', processTable(rb.processes, { count: rb.responses, label: 'verify' }), '');
    for (const s of [...tollgate.steps.map((x) => ['Tollgate', x] as const), ...(reference?.steps ?? []).map((x) => ['reference', x] as const)]) {
      out.push(...failureNotes(`verify ${s[0]} c=${s[1].concurrency}`, s[1]));
    }
    out.push('');
  }
  if (r.settle) {
    const { tollgate: s, reference: rs } = r.settle;
    out.push(
      `### 2. Deferred \`/settle\` at ${fmt(s.rate)} req/s (open loop, ${s.connections} connections, ${r.flags.duration} s)`,
      '',
      s.preVerified
        ? 'Each payment was verified first (not measured), as a resource server does before it settles.'
        : 'Payments were settled without a prior /verify (settle verifies and records them itself).',
      'Latency is measured from the moment each request was due, so client-side queueing behind a slow server counts.',
      '',
      table(
        ['', 'Tollgate (deferred)', 'reference (on-chain, synchronous)', 'target'],
        [
          ['achieved req/s', fmt(s.rps), fmt(rs?.rps), `${fmt(t.settleRate)}`],
          ['p50 / p95 / p99 ms', `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`, rs ? `${ms(rs.p50)} / ${ms(rs.p95)} / ${ms(rs.p99)}` : '–', `p99 ≤ ${t.settleP99Ms} ms`],
          ['service time p50 / p99 ms (from the write)', `${ms(s.serviceP50)} / ${ms(s.serviceP99)}`, rs ? `${ms(rs.serviceP50)} / ${ms(rs.serviceP99)}` : '–', ''],
          ['answered / scheduled', `${fmt(s.responses)} / ${fmt(s.scheduled)}`, rs ? `${fmt(rs.responses)} / ${fmt(rs.scheduled)}` : '–', ''],
          ['not sent (generator too far behind)', fmt(s.unsent), fmt(rs?.unsent), ''],
          ['unsuccessful / non-2xx / errors', `${s.rejected} / ${s.non2xx} / ${s.errors}`, rs ? `${rs.rejected} / ${rs.non2xx} / ${rs.errors}` : '–', ''],
          ['Tollgate / reference (req/s)', rs && rs.rps ? `${fmt(s.rps / rs.rps, 1)}×` : '–', '', ''],
        ],
        ['---', '---:', '---:', '---'],
      ),
      '',
      s.drainSeconds === undefined
        ? ''
        : s.stuck
          ? `**After the run the worker did not settle everything**: ${Object.entries(s.stuck.stuck).map(([k, v]) => `${v} ${k}`).join(', ')}` +
            (s.stuck.orphaned ? ` (${s.stuck.orphaned} \`included\` in a batch marked failed/cancelled: they will never confirm)` : '') + '.'
          : `After the run the worker had every queued payment on chain and confirmed ${s.drainSeconds} s after the first /settle.`,
      '',
      'Processes during Tollgate\'s run:',
      '',
      processTable(s.processes, { count: s.responses, label: 'settle' }),
      '',
    );
    if (rs) out.push('Processes during the reference\'s run:', '', processTable(rs.processes, { count: rs.responses, label: 'settle' }), '');
    out.push(...failureNotes('settle Tollgate', s), ...(rs ? failureNotes('settle reference', rs) : []), '');
  }
  if (r.e2e) {
    const e = r.e2e;
    out.push(
      '### 3. End to end: verify → settle → `confirmed`',
      '',
      `${fmt(e.payments)} payments, each verified then settled (deferred) over ${r.flags.e2eConnections} connections as fast as the API answered; ` +
        'measured from the first request until the last payment was `confirmed` in Postgres.',
      '',
      table(
        ['', 'value', 'target'],
        [
          ['payments per minute (verify → confirmed)', fmt(e.paymentsPerMinute), `≥ ${fmt(t.paymentsPerMinute)}`],
          ['confirmed / failed / still pending', `${fmt(e.confirmed)} / ${fmt(e.failed)} / ${fmt(e.pending)}`, ''],
          ['first request → last confirmed', `${fmt(e.durationMs / 1000, 1)} s`, ''],
          ['API acceptance (verify + settle pairs/s)', fmt(e.acceptedPerSecond), ''],
          ['settle → inclusion p50 / p95 (queued_at → included_at)', `${fmt(e.inclusionP50Ms)} / ${fmt(e.inclusionP95Ms)} ms`, ''],
          ['settle → confirmed p95', `${fmt(e.confirmationP95Ms)} ms`, ''],
          ['batches (rows min / mean / max)', `${e.batches} (${e.batchSizeMin} / ${fmt(e.batchSizeMean, 1)} / ${e.batchSizeMax})`, ''],
          ['verify p50 / p99 under this load', `${ms(e.verify.p50)} / ${ms(e.verify.p99)} ms`, ''],
          ['settle p50 / p99 under this load', `${ms(e.settle.p50)} / ${ms(e.settle.p99)} ms`, ''],
        ],
        ['---', '---:', '---'],
      ),
      '',
      'Processes from the first request until the last confirmation:',
      '',
      processTable(e.processes, { count: e.confirmed, label: 'payment' }),
      '',
      ...(Object.keys(e.reasons).length ? [`Failures: ${JSON.stringify(e.reasons)}`, ''] : []),
    );
  }
  if (r.gas) {
    out.push(
      '### 4. Gas per payment',
      '',
      table(
        ['', ...r.gas.batches.map((b) => (b.size === 1 ? 'single tx' : `batch of ${b.size}`))],
        [
          ['gas / payment (payee holds the token)', ...r.gas.batches.map((b) => fmt(b.gasPerPayment))],
          ['× single', ...r.gas.batches.map((b) => fmt(b.ratio, 3))],
          ...(r.gas.fresh ? [['gas / payment (fresh payee)', ...r.gas.fresh.batches.map((b) => fmt(b.gasPerPayment))]] : []),
        ],
      ),
      '',
      'Measured by `bench/gas.ts` (`npm run bench:gas`); details in "Gas per payment" below.',
      '',
    );
  }
  if (r.errors.length) out.push('### Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const OPT_START = '<!-- bench:optimisations:start -->';
const OPT_END = '<!-- bench:optimisations:end -->';

/** Filled in by hand after measuring each change on an idle machine; the harness never overwrites it. */
const OPTIMISATIONS_PLACEHOLDER = [
  OPT_START,
  '## What each optimisation bought',
  '',
  '> **TO FILL** (by hand, from `npm run bench -- --scenarios verify` on an idle machine, one row per change applied',
  '> on top of the previous one). `npm run bench` never rewrites this section.',
  '',
  '| change | `/verify` req/s (p99 ≤ 25 ms) | p99 ms | API CPU ms / verify | all CPU ms / verify | Δ req/s vs previous row |',
  '|---|---:|---:|---:|---:|---:|',
  '| baseline: pure-JS signature recovery (viem / @noble/curves) | _tbd_ | _tbd_ | _tbd_ | _tbd_ | – |',
  '| native secp256k1 recovery (libsecp256k1 bindings) | _tbd_ | _tbd_ | _tbd_ | _tbd_ | _tbd_ |',
  '| fast EIP-3009 digest (fixed struct, cached domain separator) | _tbd_ | _tbd_ | _tbd_ | _tbd_ | _tbd_ |',
  '| single-round-trip verify write (one round trip per verify) | _tbd_ | _tbd_ | _tbd_ | _tbd_ | _tbd_ |',
  OPT_END,
].join('\n');

/** Replaces the harness's section of BENCHMARKS.md; keeps bench:gas's and the hand-filled optimisation sections. */
function writeBenchmarksMd(markdown: string): string {
  const file = join(REPO_ROOT, 'BENCHMARKS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const section = `${START}\n${markdown.trim()}\n${END}`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) {
    text = `${text.slice(0, a)}${section}${text.slice(b + END.length)}`;
  } else {
    // New: right after the title, before the gas section.
    const title = /^# .*\n/.exec(text);
    const at = title ? title.index + title[0].length : 0;
    text = `${text.slice(0, at)}\n${section}\n${text.slice(at)}`;
  }
  if (!text.includes(OPT_START)) {
    const end = text.indexOf(END) + END.length;
    text = `${text.slice(0, end)}\n\n${OPTIMISATIONS_PLACEHOLDER}\n${text.slice(end)}`;
  }
  writeFileSync(file, `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
  return file;
}

/** The machine-readable result (the `--json` contract). */
function jsonResult(r: Report, ok: boolean): Record<string, unknown> {
  const v = r.verify;
  const s = r.settle;
  const e = r.e2e;
  const ratio = v?.tollgate.best && v.reference?.best ? round(v.tollgate.best.rps / v.reference.best.rps, 2) : null;
  const stripSteps = (o?: VerifyOutcome) =>
    o?.steps.map((x) => ({ concurrency: x.concurrency, rps: x.rps, p50: x.p50, p95: x.p95, p99: x.p99, errors: x.errors, non2xx: x.non2xx, invalid: x.rejected }));
  const targets: Record<string, { target: string; actual: number | null; met: boolean }> = {};
  if (v) {
    targets.verifyRps = { target: `>= ${TARGETS.verifyRps}`, actual: v.tollgate.best?.rps ?? null, met: (v.tollgate.best?.rps ?? 0) >= TARGETS.verifyRps };
    if (ratio !== null) targets.verifyRatio = { target: `>= ${TARGETS.verifyRatio}`, actual: ratio, met: ratio >= TARGETS.verifyRatio };
  }
  if (s) targets.settleP99 = { target: `<= ${TARGETS.settleP99Ms} ms at ${TARGETS.settleRate} req/s`, actual: s.tollgate.p99, met: s.tollgate.p99 <= TARGETS.settleP99Ms && s.tollgate.rps >= 0.95 * s.tollgate.rate && s.tollgate.rate >= TARGETS.settleRate };
  if (e) targets.paymentsPerMinute = { target: `>= ${TARGETS.paymentsPerMinute}`, actual: e.paymentsPerMinute, met: e.paymentsPerMinute >= TARGETS.paymentsPerMinute };
  return {
    ok,
    quick: r.flags.quick,
    durationPerStepS: r.flags.duration,
    ...(v
      ? {
          verify: {
            rps: v.tollgate.best?.rps ?? null,
            p50: v.tollgate.best?.p50 ?? null,
            p95: v.tollgate.best?.p95 ?? null,
            p99: v.tollgate.best?.p99 ?? null,
            concurrency: v.tollgate.best?.concurrency ?? null,
            errors: v.tollgate.steps.reduce((a, x) => a + x.errors + x.non2xx, 0),
            invalid: v.tollgate.steps.reduce((a, x) => a + x.rejected, 0),
            maxRps: maxRps(v.tollgate),
            referenceRps: v.reference?.best?.rps ?? null,
            referenceMaxRps: v.reference ? maxRps(v.reference) : null,
            referenceP99: v.reference?.best?.p99 ?? null,
            ratio,
            steps: stripSteps(v.tollgate),
            referenceSteps: stripSteps(v.reference),
            processes: v.tollgate.best?.processes,
          },
        }
      : {}),
    ...(s
      ? {
          settle: {
            rate: s.tollgate.rate,
            rps: s.tollgate.rps,
            p50: s.tollgate.p50,
            p95: s.tollgate.p95,
            p99: s.tollgate.p99,
            errors: s.tollgate.errors + s.tollgate.non2xx,
            unsuccessful: s.tollgate.rejected,
            drainSeconds: s.tollgate.drainSeconds ?? null,
            unsettledAfterRun: s.tollgate.stuck ? { ...s.tollgate.stuck.stuck, orphanedIncluded: s.tollgate.stuck.orphaned } : null,
            referenceRps: s.reference?.rps ?? null,
            referenceP99: s.reference?.p99 ?? null,
            referenceUnsent: s.reference?.unsent ?? null,
            ratio: s.reference?.rps ? round(s.tollgate.rps / s.reference.rps, 2) : null,
            processes: s.tollgate.processes,
          },
        }
      : {}),
    ...(e
      ? {
          endToEnd: {
            payments: e.payments,
            confirmed: e.confirmed,
            failed: e.failed,
            paymentsPerMinute: e.paymentsPerMinute,
            durationMs: e.durationMs,
            inclusionP50Ms: e.inclusionP50Ms,
            inclusionP95Ms: e.inclusionP95Ms,
            confirmationP95Ms: e.confirmationP95Ms,
            batches: e.batches,
            batchSizeMean: e.batchSizeMean,
            processes: e.processes,
          },
        }
      : {}),
    ...(r.gas ? { gas: r.gas } : {}),
    targets,
    machine: r.machine,
    settings: Object.fromEntries(Object.entries(r.settings).filter(([k]) => !/URL|FILE|PREFIX|PORT|HOST/.test(k))),
    errors: r.errors,
  };
}

// ---------------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 64;
  }
  const log = (line: string): void => {
    process.stderr.write(`[bench] ${line}\n`);
  };
  const report: Report = {
    flags,
    machine: machine(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    startedAt: new Date(),
    settings: {},
    errors: [],
  };
  log(`machine: ${report.machine.cores} cores (${report.machine.cpuModel}), load average ${report.machine.loadAverageStart.join(' ')}`);
  if (report.machine.loadAverageStart[0] > report.machine.cores * 0.5) log('note: the machine is busy; numbers will be pessimistic');

  const needStack = flags.scenarios.has('verify') || flags.scenarios.has('settle') || flags.scenarios.has('e2e');
  const withReference = flags.reference && (flags.scenarios.has('verify') || flags.scenarios.has('settle'));
  let stack: BenchStack | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-load-'));
  const profileDir = flags.profile && needStack ? mkdtempSync(join(tmpdir(), 'tollgate-bench-prof-')) : undefined;
  let interrupted = false;
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything`);
    // The main flow sees its children die and unwinds too; it waits for this same promise before exiting.
    const done: Promise<void> = (stack?.stop() ?? Promise.resolve())
      .catch((e: Error) => log(`stopping failed: ${e.message}`))
      .finally(() => {
        rmSync(dir, { recursive: true, force: true });
      });
    stopping = done;
    void done.then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (needStack) {
      stack = await startBenchStack({
        relayers: 2,
        apiPoolSize: 20,
        workerPoolSize: 10,
        // Bigger batches and quicker receipt polling on a chain that mines at once (see BENCHMARKS.md settings).
        env: { BATCH_MAX_SIZE: '200', TX_POLL_MS: '100', ...flags.env },
        reference: withReference,
        databaseServer: process.env.BENCH_DATABASE_SERVER ?? process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432',
        redisUrl: process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        keepDatabase: flags.keepDb,
        profileDir,
        log,
      });
      report.settings = Object.fromEntries(Object.entries(stack.settings).filter(([k]) => !/SECRET|KEY/.test(k)));
      const h: Harness = {
        flags,
        stack,
        dir,
        log,
        seq: 0,
        signing: { deployment: stack.deployment, payers: [], payTo: stack.payTo, amount: AMOUNT, validForSeconds: 3600 },
      };
      const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (e) {
          if (interrupted) throw e;
          report.errors.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
          log(`${name} failed: ${(e as Error).stack ?? e}`);
          return undefined;
        }
      };
      if (flags.scenarios.has('verify')) {
        const tollgate = await attempt('verify (Tollgate)', () => verifyScenario(h, 'tollgate'));
        const reference = withReference ? await attempt('verify (reference)', () => verifyScenario(h, 'reference')) : undefined;
        if (tollgate) report.verify = { tollgate, reference };
      }
      if (flags.scenarios.has('settle')) {
        const tollgate = await attempt('settle (Tollgate)', () => settleScenario(h, 'tollgate'));
        const reference = withReference ? await attempt('settle (reference)', () => settleScenario(h, 'reference')) : undefined;
        if (tollgate) report.settle = { tollgate, reference };
      }
      if (flags.scenarios.has('e2e')) report.e2e = await attempt('e2e', () => endToEndScenario(h));
    }
    if (flags.scenarios.has('gas')) {
      try {
        report.gas = await gasScenario(log);
      } catch (e) {
        report.errors.push(`gas: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } catch (e) {
    // After an interrupt the children are being stopped under us: the resulting errors are not news.
    if (!interrupted) {
      report.errors.push((e as Error).message.split('\n')[0]);
      log(`failed: ${(e as Error).stack ?? e}`);
    }
  } finally {
    if (!interrupted) {
      await stack?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (interrupted) {
    await stopping;
    return 130;
  }

  report.machine.loadAverageEnd = loadavg().map((x) => round(x, 2));
  report.durationS = (Date.now() - report.startedAt.getTime()) / 1000;
  const valid =
    report.errors.length === 0 &&
    (!report.verify || (report.verify.tollgate.valid && (report.verify.reference?.valid ?? true))) &&
    (!report.settle || report.settle.tollgate.valid) &&
    (!report.e2e || report.e2e.valid);
  const markdown = renderMarkdown(report);
  process.stdout.write(`\n${markdown}\n`);
  if (!valid) process.stdout.write('\nRESULT: FAILED RUN — some answers were invalid or a scenario did not complete (see above).\n');
  if (flags.write) process.stdout.write(`\n${writeBenchmarksMd(markdown)} updated.\n`);
  if (profileDir) process.stdout.write(`\nCPU profiles: ${profileDir}/api.cpuprofile, ${profileDir}/worker.cpuprofile (Chrome DevTools or speedscope)\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(jsonResult(report, valid))}\n`);
  return valid ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
