/**
 * `npm run bench`: throughput and latency of Tollgate against the official x402 facilitator, on a private
 * local stack (anvil, Postgres, Redis; API, worker, reference facilitator and load generator each in its
 * own process).
 *
 *   npm run bench                          full run (10 s per step), writes BENCHMARKS.md
 *   npm run bench -- --quick               smoke run (a few seconds per step), does not write BENCHMARKS.md
 *   npm run bench -- --json                the same, plus one JSON object as the last line of stdout
 *
 * Flags: --quick, --duration <s> (per step, default 10), --scenarios verify,settle,e2e,gas,single-payer, --no-reference,
 * --json, --payers <n> (fresh payers per run, default 100), --settle-rate <req/s> (default 1000), --settle-connections <n>
 * (default 50), --settle-without-verify, --e2e-payments <n> (default 5000; 500 quick), --e2e-connections <n>
 * (default 50), --concurrency <list> (default 1,2,4,6,8,12,16,24,32,48,64,96,128: steps of 1.5–2× so the best step under the p99 limit is found to within ≈ 25 %), --p99-limit <ms> (default 25),
 * --warmup <s> (unmeasured load before each facilitator's first run of an endpoint; default 3, quick 1),
 * --env KEY=VALUE (repeatable; Tollgate settings), --write / --no-write (BENCHMARKS.md), --keep-db,
 * --no-analyze (skip the ANALYZE of the bench database before each measured run),
 * --history <payments> (scenario 5: seed that many payments of history, ≈ 5.6 event rows each, and repeat
 * the chosen Tollgate runs beside the empty ones; default 0 = off),
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
 *    Postgres writes per payment (pg_stat_user_tables, pg_stat_wal) over the whole run (bench/pg-writes.ts).
 * 4. gas: `bench/gas.ts --json` (npm run bench:gas) in a child process.
 * 5. single-payer: the verify sweep with --payers payers, then again with one payer that has 10,000 verified
 *    payments in flight (bench/scenario-single-payer.ts); rates, CPU and Postgres writes per verify of both.
 * 6. history (`--history N`): after 1–3 on the empty database, seeds N payments of history and runs the
 *    chosen ones of 1–3 again against Tollgate (see scenario-history.ts).
 *
 * Before every measured run the bench database is ANALYZEd (see runLoad) and every run signs with payers
 * funded for it alone (see BenchStack.fundPayers).
 *
 * Exit status: 0 when every scenario ran with valid answers only and every settled payment reached a final
 * status (targets met or not); 1 when a scenario failed (rejected payments, transport errors, payments that
 * never became final, crash); 64 bad flags; 130 interrupted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchStack, type BenchStack } from './stack';
import { AMOUNT, parseFlags, type Flags } from './flags';
import { round } from './results';
import { type Harness } from './harness';
import { verifyScenario } from './scenario-verify';
import { settleScenario } from './scenario-settle';
import { endToEndScenario } from './scenario-e2e';
import { gasScenario } from './scenario-gas';
import { historyScenario } from './scenario-history';
import { singlePayerScenario } from './scenario-single-payer';
import { machine, renderMarkdown, type Report } from './report';
import { writeBenchmarksMd, jsonResult } from './report-output';

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

  const needStack = flags.scenarios.has('verify') || flags.scenarios.has('settle') || flags.scenarios.has('e2e') || flags.scenarios.has('single-payer');
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
        // The worker yields the CPU to the API (WORKER_NICE, as README's "Scaling out" advises for a shared
        // host): interleaved settle runs at 1,000 req/s gave p99 590 / 327 ms against 816 / 1,020 without.
        env: { BATCH_MAX_SIZE: '200', TX_POLL_MS: '100', WORKER_NICE: '10', ...flags.env },
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
      if (flags.history > 0) report.history = await attempt('history', () => historyScenario(h, flags.history, flags.scenarios));
      if (flags.scenarios.has('single-payer')) report.singlePayer = await attempt('single payer', () => singlePayerScenario(h));
    }
    if (flags.scenarios.has('gas')) {
      try {
        report.gas = await gasScenario(log, flags.write);
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
    (!report.e2e || report.e2e.valid) &&
    (!report.history || report.history.valid) &&
    (!report.singlePayer || (report.singlePayer.baseline.valid && report.singlePayer.single.valid));
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
