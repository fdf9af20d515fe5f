/** `npm run bench` flags: targets, scenario names, parsing and usage (bad flags exit 64). */
import { parseArgs } from 'node:util';

/** Issue #16's targets (2 cores, both facilitators in one run). */
export const TARGETS = { verifyRps: 2000, verifyP99Ms: 25, verifyRatio: 6, settleRate: 1000, settleP99Ms: 10, paymentsPerMinute: 40_000 };
export const AMOUNT = 1_000n; // 0.001 token per payment
const SCENARIOS = ['verify', 'settle', 'e2e', 'gas', 'single-payer'] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Parsed command line. */
export interface Flags {
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
  /** Payments of history to seed for scenario 5 (0: no history run). */
  history: number;
}

class UsageError extends Error {}

export function parseFlags(argv: string[]): Flags {
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
      history: { type: 'string' },
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
    history: num('history', values.history, 0, 0, 50_000_000),
  };
}
