/** Where the report goes: the marked section of BENCHMARKS.md and the `--json` result. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack';
import { TARGETS } from './flags';
import { round, type VerifyOutcome } from './results';
import { writesSummary } from './pg-writes';
import { maxRps, type Report } from './report';

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
export function writeBenchmarksMd(markdown: string): string {
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
export function jsonResult(r: Report, ok: boolean): Record<string, unknown> {
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
  if (r.singlePayer?.ratio != null) targets.singlePayerRatio = { target: '>= 0.9', actual: r.singlePayer.ratio, met: r.singlePayer.ratio >= 0.9 };
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
            postgresWritesPerPayment: e.writes ? writesSummary(e.writes) : null,
          },
        }
      : {}),
    ...(r.gas ? { gas: r.gas } : {}),
    ...(r.history
      ? {
          history: {
            payments: r.history.payments,
            paymentRows: r.history.paymentRows,
            historyRows: r.history.historyRows,
            eventRows: r.history.eventRows,
            seedSeconds: r.history.seedSeconds,
            moveSeconds: r.history.moveSeconds,
            verifyRps: r.history.verify?.best?.rps ?? null,
            verifyP99: r.history.verify?.best?.p99 ?? null,
            settleRps: r.history.settle?.rps ?? null,
            settleP99: r.history.settle?.p99 ?? null,
            paymentsPerMinute: r.history.e2e?.paymentsPerMinute ?? null,
            valid: r.history.valid,
          },
        }
      : {}),
    ...(r.singlePayer
      ? {
          singlePayer: {
            inFlight: r.singlePayer.inFlight,
            payers: r.singlePayer.payers,
            rps: r.singlePayer.single.best?.rps ?? null,
            baselineRps: r.singlePayer.baseline.best?.rps ?? null,
            ratio: r.singlePayer.ratio,
            steps: stripSteps(r.singlePayer.single),
            baselineSteps: stripSteps(r.singlePayer.baseline),
            processes: r.singlePayer.single.best?.processes,
            baselineProcesses: r.singlePayer.baseline.best?.processes,
            postgresWritesPerVerify: r.singlePayer.single.writes ? writesSummary(r.singlePayer.single.writes) : null,
            baselinePostgresWritesPerVerify: r.singlePayer.baseline.writes ? writesSummary(r.singlePayer.baseline.writes) : null,
          },
        }
      : {}),
    targets,
    machine: r.machine,
    settings: Object.fromEntries(Object.entries(r.settings).filter(([k]) => !/URL|FILE|PREFIX|PORT|HOST/.test(k))),
    errors: r.errors,
  };
}
