/**
 * `npm run bench:console`: the operator console and admin API at volume. Seeds a database with ≥ 1 M
 * payments and their events (set-based SQL: libs/testing `seedConsoleVolume`), then times every read the console
 * pages and admin-API lists make, through the same libs/persistence repositories the API calls, and
 * prints one row per page: median and worst of 5 runs (after one warm-up), in ms.
 *
 *   npm run bench:console                         seed 1 M payments into tollgate_bench_console, time, drop
 *   npm run bench:console -- --payments 5000000   another volume
 *   npm run bench:console -- --keep               keep the database; a later run reuses it (pending migrations run
 *                                                  on the seeded data, so before/after of a migration compare alike)
 *
 * Target: every page under 200 ms at 1 M payments.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  ConsoleBatchesRepository,
  ConsoleMerchantsRepository,
  ConsoleOverviewRepository,
  ConsolePaymentsRepository,
  createDataSource,
  LaneStatsRepository,
  MetricsSnapshotRepository,
  runMigrations,
} from '@tollgate/persistence';
import * as persistence from '@tollgate/persistence';
import { seedConsoleVolume } from '@tollgate/testing';

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const DB = 'tollgate_bench_console';
const TARGET_MS = 200;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '');
}

async function onServer<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Median and worst of `runs` timed calls after one warm-up, in ms. */
async function time(fn: () => Promise<unknown>, runs = 5): Promise<{ median: number; max: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(runs / 2)], max: ms[runs - 1] };
}

async function main(): Promise<void> {
  const n = Number(flag('payments') ?? 1_000_000);
  const keep = process.argv.includes('--keep');
  const exists = await onServer(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB])).rowCount === 1);
  if (exists && !keep) await onServer((c) => c.query(`DROP DATABASE "${DB}" WITH (FORCE)`));
  if (!exists || !keep) await onServer((c) => c.query(`CREATE DATABASE "${DB}"`));
  const raw = await createDataSource({ databaseUrl: `${SERVER}/${DB}`, poolSize: 8, applicationName: 'bench-console' }).initialize();
  try {
    const [{ seeded }] = await raw.query(`SELECT to_regclass('payments') IS NOT NULL AND EXISTS (SELECT 1 FROM payments) AS seeded`).catch(() => [{ seeded: false }]);
    let t = Date.now();
    const applied = await runMigrations(raw);
    if (applied.length) console.log(`migrations (${applied.join(', ')}): ${((Date.now() - t) / 1000).toFixed(1)} s`);
    if (!seeded) {
      console.log(`seeding ${n} payments:`);
      t = Date.now();
      await seedConsoleVolume(raw, n, (s) => console.log(s));
      console.log(`seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    // The console's own bounded data source when this checkout has one (it sets the statement timeout).
    const bounded = (persistence as unknown as { consoleDataSource?: (ds: DataSource, ms: number) => DataSource }).consoleDataSource;
    const ds = bounded ? bounded(raw, 2_000) : raw;
    await report(ds, raw);
  } finally {
    await raw.destroy();
    if (!keep) await onServer((c) => c.query(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`));
  }
}

async function report(ds: DataSource, raw: DataSource): Promise<void> {
  const overview = new ConsoleOverviewRepository(ds);
  const payments = new ConsolePaymentsRepository(ds);
  const batches = new ConsoleBatchesRepository(ds);
  const merchants = new ConsoleMerchantsRepository(ds);
  const lanes = new LaneStatsRepository(ds);
  const metrics = new MetricsSnapshotRepository(ds);
  const [{ n }] = await raw.query(`SELECT count(*)::int AS n FROM payments`);
  const [sample] = await raw.query(
    `SELECT id, reference, nonce, payer, pay_to, merchant_id, batch_id, tx_hash FROM payments WHERE status = 'confirmed' ORDER BY created_at DESC OFFSET 5000 LIMIT 1`,
  );
  const [failed] = await raw.query(`SELECT failure_reason FROM payments WHERE status = 'failed' LIMIT 1`);
  const hasWebhooks = await merchants.hasWebhookTables();
  const list = (f: persistence.ConsolePaymentFilter, offset = 0) => () => payments.list(f, 50, offset);
  const pages: Array<[string, () => Promise<unknown>]> = [
    [
      'overview (lanes, relayers, 1 h + 24 h totals)',
      () => Promise.all([lanes.lanes(), overview.relayers(), overview.openBatchesByRelayer(), overview.totals('1 hour'), overview.totals('24 hours')]),
    ],
    ['failures (7 d hourly by reason, current)', () => Promise.all([overview.failureBuckets(), overview.currentlyFailed()])],
    ['payments: newest page', list({})],
    ['payments: page at offset 1000', list({}, 1000)],
    ['payments: status failed', list({ status: 'failed' })],
    ['payments: status queued', list({ status: 'queued' })],
    ['payments: merchant id', list({ merchant: sample.merchant_id })],
    ['payments: merchant name', list({ merchant: 'merchant 7' })],
    ['payments: payer', list({ payer: sample.payer })],
    ['payments: payTo', list({ payTo: sample.pay_to })],
    ['payments: rare network', list({ network: 'eip155:1' })],
    ['payments: failure reason', list({ reason: failed.failure_reason })],
    ['payments: last hour', list({ from: new Date(Date.now() - 3_600_000) })],
    ['search: reference', list({ q: sample.reference })],
    ['search: transaction hash', list({ q: sample.tx_hash })],
    ['search: nonce', list({ q: sample.nonce })],
    ['search: address', list({ q: sample.payer })],
    [
      'payment page',
      async () => {
        const p = await payments.find(sample.reference);
        await payments.events(p!.id);
        const b = await payments.batches(p!.id, p!.batch_id);
        await payments.transactions(b.map((x) => x.id));
        if (hasWebhooks) await payments.deliveries(p!.id);
      },
    ],
    ['batches: newest page', () => batches.list({}, 50, 0)],
    ['batches: status confirmed', () => batches.list({ status: 'confirmed' }, 50, 0)],
    ['batch page', () => Promise.all([batches.find(sample.batch_id), batches.payments(sample.batch_id), batches.transactions(sample.batch_id)])],
    ['merchants', () => merchants.merchants(hasWebhooks)],
    ['webhook deliveries', () => merchants.deliveries({}, 50, 0)],
    ['metrics scrape (lanes, failures)', () => Promise.all([lanes.lanes(), metrics.failedByReason(), metrics.failureEvents(), metrics.relayerNonces()])],
  ];
  console.log(`\n${n.toLocaleString('en')} payments; median / worst of 5 runs, ms\n`);
  console.log(`| Page | median | worst |`);
  console.log(`| --- | ---: | ---: |`);
  let over = 0;
  for (const [label, fn] of pages) {
    try {
      const r = await time(fn);
      if (r.median > TARGET_MS) over++;
      console.log(`| ${label} | ${r.median.toFixed(1)} | ${r.max.toFixed(1)} |${r.median > TARGET_MS ? ' ✗' : ''}`);
    } catch (e) {
      over++;
      console.log(`| ${label} | error: ${(e as Error).message.split('\n')[0]} | |`);
    }
  }
  console.log(over ? `\n${over} page(s) over ${TARGET_MS} ms` : `\nevery page under ${TARGET_MS} ms`);
  process.exitCode = over ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
