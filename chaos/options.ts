/** The chaos run's command-line flags: parsing and the usage errors that exit with status 64. */

export interface Options {
  payments: number;
  quick: boolean;
  /** Payments started per second (the load is paced so that faults land in traffic). */
  rate: number;
  concurrency: number;
  /** Hard limit for the whole run (ms); the run ends itself before it. */
  budgetMs: number;
  /** Keep the apps' logs (and Postgres') in this folder instead of the temp dir. */
  logDir?: string;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
  let payments: number | undefined;
  let quick = false;
  let rate: number | undefined;
  let concurrency = 24;
  let logDir: string | undefined;
  const num = (flag: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} expects a whole number ${min}-${max}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--payments') payments = num(a, argv[++i], 10, 100_000);
    else if (a === '--rate') rate = num(a, argv[++i], 1, 1000);
    else if (a === '--concurrency') concurrency = num(a, argv[++i], 1, 256);
    else if (a === '--log-dir') logDir = argv[++i];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run chaos -- [--quick] [--payments N] [--rate N/s] [--concurrency N] [--log-dir DIR]\n');
      process.exit(0);
    } else throw new UsageError(`unknown flag ${a}`);
  }
  const n = payments ?? (quick ? 1_000 : 10_000);
  // --quick: ≈ 100 s of load, so boot + load + quiescence + checks stay inside 5 minutes on 2 cores.
  const r = rate ?? (quick ? 10 : 40);
  const loadSeconds = n / r;
  return { payments: n, quick, rate: r, concurrency, logDir, budgetMs: quick ? 290_000 : Math.round((loadSeconds + 420) * 1000) };
}
