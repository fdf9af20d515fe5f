/** The shapes of the bench's results (per run, per scenario) and the summary of one load run. */
import type { EndpointResult, LoadResult } from './load';
import { type ProcessUsage } from './proc';
import type { PgWrites } from './pg-writes';

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

export interface VerifyStep extends RunSummary {
  concurrency: number;
}

export interface VerifyOutcome {
  steps: VerifyStep[];
  best: VerifyStep | null;
  /** Every step answered valid only, without transport errors. */
  valid: boolean;
  /** Postgres writes over the steps, when measured (single-payer scenario). */
  writes?: PgWrites;
}

export interface SettleOutcome extends RunSummary {
  rate: number;
  connections: number;
  scheduled: number;
  unsent: number;
  /** Service time (from the write, without client-side queueing). */
  serviceP50: number;
  serviceP99: number;
  preVerified: boolean;
  /** Tollgate: measured settles answered on the recent-verify shortcut (the rest verified in full). */
  onShortcut?: number;
  /** Tollgate: seconds from the first /settle until the worker had every queued payment confirmed. */
  drainSeconds?: number | null;
  /** Tollgate: what was left unsettled when the wait gave up. */
  stuck?: DrainResult;
  valid: boolean;
}

export interface EndToEndOutcome {
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
  /** Postgres writes over the run (issue #16), per payment when divided by `payments`. */
  writes?: PgWrites;
  valid: boolean;
  reasons: Record<string, number>;
}

export interface GasOutcome {
  single: number;
  batches: Array<{ size: number; gasPerPayment: number; ratio: number }>;
  fresh?: { single: number; batches: Array<{ size: number; gasPerPayment: number; ratio: number }> };
}

export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function summarizeRun(r: LoadResult, processes: ProcessUsage[], endpoint?: EndpointResult): RunSummary {
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

export const cleanRun = (s: RunSummary) => s.rejected === 0 && s.non2xx === 0 && s.errors === 0 && s.responses > 0;
/** Where a wait for settlement ended. */
export interface DrainResult {
  drained: boolean;
  /** Unsettled payments by status when the wait gave up. */
  stuck: Record<string, number>;
  /** Of those, `included` payments whose batch is failed or cancelled: nothing will ever confirm them. */
  orphaned: number;
}
