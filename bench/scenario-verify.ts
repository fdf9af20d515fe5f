/** Scenario 1: /verify, closed loop at increasing concurrency until the p99 limit is exceeded. */
import { rmSync } from 'node:fs';
import { round, summarizeRun, cleanRun, type VerifyStep, type VerifyOutcome } from './results';
import { freshPayers, prepareBodies, runLoad, authHeaders, baseUrl, warmUp, type Harness } from './harness';
import { startWrites } from './pg-writes';

/** Variations of the verify sweep (the single-payer scenario runs it with one payer it keeps). */
export interface VerifySweepOptions {
  /** Replaces funding fresh payers before each step. */
  payers?: () => Promise<void>;
  /** Postgres writes over the measured steps (after the warm-up), per payment recorded. */
  measureWrites?: boolean;
}

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

export async function verifyScenario(h: Harness, target: 'tollgate' | 'reference', o: VerifySweepOptions = {}): Promise<VerifyOutcome> {
  const steps: VerifyStep[] = [];
  const d = h.flags.duration;
  const warmupRps = await warmUp(h, target, '/verify');
  const writes = o.measureWrites ? await startWrites(h.stack.db, 'verify') : undefined;
  for (const c of h.flags.concurrency) {
    let count = verifyBodyCount(steps, c, d, warmupRps);
    let step: VerifyStep | undefined;
    // A step that ran out of bodies early is re-run once with enough (its rate is now known).
    for (let attempt = 0; attempt < 2; attempt++) {
      h.log(`verify ${target} c=${c}${attempt ? ' (again, with more authorizations)' : ''}`);
      await (o.payers ? o.payers() : freshPayers(h));
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
  if (writes) h.log('  waiting for Postgres to publish its write counters');
  const pgWrites = await writes?.stop();
  return { steps, best, valid: steps.every(cleanRun), ...(pgWrites ? { writes: pgWrites } : {}) };
}
