import { DataSource } from 'typeorm';
import { createTestDatabase, seedConsoleVolume } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { PaymentsHistory } from '../history/payments-history';
import { MerchantPaymentRepository } from '../merchants/merchant-payment-repository';
import { ConsoleQueryTimeoutError, consoleDataSource } from './console-data-source';
import { ConsoleBatchesRepository } from './console-batches.repository';
import { ConsoleMerchantsRepository } from './console-merchants.repository';
import { ConsoleOverviewRepository } from './console-overview.repository';
import { ConsolePaymentsRepository } from './console-payments.repository';
import { LaneStatsRepository } from './lane-stats.repository';
import { MetricsSnapshotRepository } from './metrics-snapshot.repository';

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };

/**
 * Scans of `payments`, `payment_events` and `settlement_batches` (which grow with history) that nothing bounds: a sequential scan, or a walk of a whole
 * (non-partial) index with no index condition and no LIMIT above it to stop it.
 */
function unbounded(node: PlanNode, partial: ReadonlySet<string>, indexTable: ReadonlyMap<string, string>, empty: ReadonlySet<string>, limited = false): string[] {
  const table = node['Relation Name'] ?? (node['Index Name'] ? indexTable.get(node['Index Name']) : undefined);
  // An empty partition (the days created ahead) costs nothing whatever its plan.
  const watched =
    (table === 'payments' || table?.startsWith('payments_history') || table === 'payment_events' || table === 'settlement_batches') && !empty.has(table);
  const isIndexScan = /Index/.test(node['Node Type']);
  const own =
    watched && (node['Node Type'] === 'Seq Scan' || (isIndexScan && !node['Index Cond'] && !limited && !partial.has(node['Index Name'] ?? '')))
      ? [`${node['Node Type']} on ${table}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`]
      : [];
  const below = limited || node['Node Type'] === 'Limit';
  return [...own, ...(node.Plans ?? []).flatMap((c) => unbounded(c, partial, indexTable, empty, below))];
}

/**
 * The console at volume, by shape rather than timing (the 200 ms target lives in `npm run bench:console`):
 * every statement the console and admin-API repositories send reads `payments`, `payment_events` and
 * `settlement_batches` through an index condition, a partial index or an ordered walk under a LIMIT, never
 * a sequential scan or a whole index (with `enable_seqscan = off`, which leaves a sequential scan only where
 * no index applies); the rollups agree with exact counts; the statement timeout cancels a console read with
 * a clear error and leaves the pool connection as it was.
 */
describe('console reads at volume', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const sent: Array<{ sql: string; params: unknown[] }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 3 }).initialize();
    await seedConsoleVolume(ds, 20_000, () => undefined);
    // The older half has left the hot table, as the worker moves finished payments whose authorization expired.
    await ds.query(`UPDATE payments SET valid_before = extract(epoch FROM created_at)::bigint + 300 WHERE created_at < now() - interval '36 hours'`);
    const mover = new PaymentsHistory(ds);
    while ((await mover.moveFinal({ hotSeconds: 0, limit: 5_000 })) > 0);
    await ds.query('ANALYZE');
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** A DataSource that records every statement and answers it for real. */
  function recording(): DataSource {
    return new Proxy(ds, {
      get: (target, key, receiver) =>
        key === 'query'
          ? (sql: string, params: unknown[] = []) => {
              sent.push({ sql, params });
              return target.query(sql, params);
            }
          : Reflect.get(target, key, receiver),
    });
  }

  it('plans every console statement on an index of payments, payment_events and settlement_batches, never a full scan', async () => {
    const rec = recording();
    const overview = new ConsoleOverviewRepository(rec);
    const payments = new ConsolePaymentsRepository(rec);
    const batches = new ConsoleBatchesRepository(rec);
    const merchants = new ConsoleMerchantsRepository(rec);
    const metrics = new MetricsSnapshotRepository(rec);
    const [p] = await ds.query(`SELECT * FROM payments WHERE status = 'confirmed' ORDER BY created_at DESC OFFSET 100 LIMIT 1`);
    const [h] = await ds.query(`SELECT * FROM payments_history WHERE status = 'confirmed' ORDER BY created_at DESC OFFSET 100 LIMIT 1`);
    expect(h).toBeDefined();
    const [failed] = await ds.query(`SELECT failure_reason FROM payments WHERE status = 'failed' LIMIT 1`);

    await Promise.all([new LaneStatsRepository(rec).lanes(), overview.relayers(), overview.openBatchesByRelayer(), overview.totals('1 hour'), overview.totals('24 hours')]);
    await Promise.all([overview.failureBuckets(), overview.currentlyFailed()]);
    for (const f of [
      {},
      { status: 'failed' },
      { merchant: p.merchant_id },
      { merchant: 'Merchant 7' },
      { payer: p.payer },
      { payTo: p.pay_to },
      { network: 'eip155:1' },
      { reason: failed.failure_reason },
      { from: new Date(Date.now() - 3_600_000), to: new Date() },
      { q: p.reference },
      { q: p.id },
      { q: p.tx_hash },
      { q: p.nonce },
      { q: p.payer },
      { q: p.pay_to },
      { q: h.reference },
      { q: h.tx_hash },
      { q: h.nonce },
      { payer: h.payer },
      { status: 'confirmed', merchant: h.merchant_id },
    ]) {
      await payments.list(f, 50, 0);
    }
    await payments.list({}, 50, 1_000);
    // The merchant API reads the same tables the same way.
    const merchantApi = new MerchantPaymentRepository(rec);
    for (const f of [{}, { payer: h.payer }, { status: ['confirmed' as const] }, { since: new Date(Date.now() - 86_400_000) }]) {
      await merchantApi.list(h.merchant_id, { ...f, limit: 51 });
    }
    await merchantApi.list(h.merchant_id, { limit: 51, cursor: { ts: h.created_at.toISOString(), id: h.id } });
    await merchantApi.dailyTotals(h.merchant_id, new Date(Date.now() - 3 * 86_400_000), new Date());
    await merchantApi.detail(h.merchant_id, h.reference);
    await merchantApi.publicStatus(p.reference);
    await payments.find(p.reference);
    await payments.find(h.id);
    await batches.payments(h.batch_id);
    await payments.events(p.id);
    await payments.batches(p.id, p.batch_id);
    await payments.transactions([p.batch_id]);
    await payments.deliveries(p.id);
    await batches.list({}, 50, 0);
    await batches.list({ status: 'confirmed', network: 'eip155:8453' }, 50, 0);
    await batches.find(p.batch_id);
    await batches.payments(p.batch_id);
    await batches.transactions(p.batch_id);
    await merchants.merchants(true);
    await merchants.deliveries({}, 50, 0);
    await Promise.all([metrics.failedByReason(), metrics.failureEvents(), metrics.relayerNonces(), metrics.pendingDeliveries()]);

    const indexes: Array<{ indexname: string; tablename: string; partial: boolean }> = await ds.query(
      `SELECT indexname, tablename, indexdef LIKE '% WHERE %' AS partial FROM pg_indexes
        WHERE tablename IN ('payments', 'payment_events', 'settlement_batches') OR tablename LIKE 'payments\\_history%'`,
    );
    const partial = new Set(indexes.filter((i) => i.partial).map((i) => i.indexname));
    const indexTable = new Map(indexes.map((i) => [i.indexname, i.tablename]));
    const empty = new Set<string>();
    for (const { tablename } of await ds.query(`SELECT DISTINCT tablename FROM pg_indexes WHERE tablename LIKE 'payments\\_history%'`)) {
      if ((await ds.query(`SELECT 1 FROM ${tablename} LIMIT 1`)).length === 0) empty.add(tablename);
    }
    const explain = (sql: string, params: unknown[]) =>
      ds.transaction(async (m) => {
        // Only where no index applies does the planner still scan sequentially.
        await m.query(`SET LOCAL enable_seqscan = off`);
        const [row] = await m.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        return unbounded((row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0].Plan, partial, indexTable, empty);
      });
    // The check has teeth: the overview's former totals read walked all of payments.
    expect(await explain(`SELECT count(*) FROM payments WHERE confirmed_at > now() - interval '1 hour'`, [])).not.toEqual([]);
    const offenders: string[] = [];
    for (const { sql, params } of sent) {
      if (!/^\s*(WITH|SELECT)\b/i.test(sql) || /to_regclass/.test(sql)) continue;
      const scans = await explain(sql, params);
      if (scans.length) offenders.push(`${scans.join(', ')}: ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    expect(sent.length).toBeGreaterThan(40);
    expect(offenders).toEqual([]);
    // History is never counted exactly: the list's total comes from its page or the planner.
    expect(sent.filter(({ sql }) => /count\(\*\)[^;]*FROM payments p JOIN merchants/.test(sql))).toEqual([]);
  });

  it('keeps rollups that agree with exact counts of the seeded history', async () => {
    const overview = new ConsoleOverviewRepository(ds);
    const [exact] = await ds.query(
      `SELECT count(*)::int AS accepted, count(queued_at)::int AS queued, count(included_at)::int AS included,
              coalesce(sum(amount) FILTER (WHERE included_at IS NOT NULL), 0)::text AS included_amount, count(confirmed_at)::int AS confirmed,
              count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*) FILTER (WHERE status = 'lapsed')::int AS lapsed
         FROM payments_all`,
    );
    expect(await overview.totals('30 days')).toMatchObject(exact);

    const perMerchant = await new ConsoleMerchantsRepository(ds).merchants(true);
    const counted: Array<{ id: string; n: number }> = await ds.query(`SELECT merchant_id AS id, count(*)::int AS n FROM payments_all GROUP BY 1`);
    for (const c of counted) expect(perMerchant.find((m) => m.id === c.id)?.payments).toBe(c.n);

    const failures = await new MetricsSnapshotRepository(ds).failureEvents();
    const events: Array<{ to_status: string; reason: string | null; n: number }> = await ds.query(
      `SELECT to_status, reason, count(*)::int AS n FROM payment_events WHERE to_status IN ('failed', 'lapsed') GROUP BY 1, 2`,
    );
    const key = (r: { to_status: string; reason: string | null }) => `${r.to_status}/${r.reason}`;
    expect(new Map(failures.map((r) => [key(r), r.n]))).toEqual(new Map(events.map((r) => [key(r), r.n])));
  });

  it('pages with an exact total on the last page and an estimate before it', async () => {
    const payments = new ConsolePaymentsRepository(ds);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM payments_all WHERE status = 'failed'`);
    const first = await payments.list({ status: 'failed' }, 50, 0);
    expect(first.rows).toHaveLength(50);
    expect(first).toMatchObject({ totalIsEstimate: true });
    expect(first.total).toBeGreaterThan(50);
    const last = await payments.list({ status: 'failed' }, 50, n - 10);
    expect(last).toMatchObject({ total: n, totalIsEstimate: false });
    expect(last.rows).toHaveLength(10);
    expect(await payments.list({ payTo: '0x' + '1'.repeat(40) }, 50, 0)).toEqual({ rows: [], total: 0, totalIsEstimate: false });
  });

  it('cancels a console read past its statement timeout with a clear error, without leaking the setting', async () => {
    const bounded = consoleDataSource(ds, 100);
    await expect(bounded.query(`SELECT pg_sleep(2)`)).rejects.toBeInstanceOf(ConsoleQueryTimeoutError);
    await expect(bounded.query(`SELECT pg_sleep(2)`)).rejects.toThrow('ran past its 100 ms statement timeout');
    expect(await bounded.query(`SELECT 1 AS ok`)).toEqual([{ ok: 1 }]);
    // Every pool connection is back on the server default.
    const settings = await Promise.all([0, 1, 2].map(() => ds.query(`SELECT current_setting('statement_timeout') AS t, pg_sleep(0.05)`)));
    expect(settings.map(([r]) => r.t)).toEqual(['0', '0', '0']);
    await expect(bounded.query(`SELECT nope FROM payments`)).rejects.toThrow(/nope/);
  });
});
