import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { archiveEventPartitions, countGzipLines, HISTORY_TABLES, HistoryPartitions, utcDay } from '@tollgate/persistence';
import { eventually, startSettlement, SettlementFixture } from '@tollgate/testing';
import { insertQueuedPayment, settleMany, waitAll } from './settlement-support';

/**
 * `npm run archive` round trip on a real Postgres beside a running API and worker: closed `payment_events`
 * partitions are exported to gzip'd COPY files holding exactly their rows, then detached and dropped; the
 * partitions being written are untouched, and verify → settle → confirmed works the same afterwards.
 */
describe('payment history archive', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    // More days ahead than the migration created: the worker's maintenance loop must add them at start.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '100', HISTORY_PARTITIONS_AHEAD_DAYS: '12' }, 53);
    await f.startWorker();
  });
  afterAll(async () => {
    await f?.stop();
  });

  const merchantGet = async (path: string) => {
    const res = await fetch(`${f.api.baseUrl}${path}`, { headers: { authorization: `Bearer ${f.apiKey}` } });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('the worker keeps HISTORY_PARTITIONS_AHEAD_DAYS whole days of partitions created ahead, for events and payments history', async () => {
    const horizon = new Date(utcDay(new Date()).getTime() + 13 * 86_400_000);
    for (const table of HISTORY_TABLES) {
      const partitions = new HistoryPartitions(f.api.db, table);
      await eventually(`${table.parent} partitions 12 days ahead`, async () => (await partitions.list()).some((p) => p.to?.getTime() === horizon.getTime()), 60_000);
      expect((await partitions.list()).filter((p) => !p.isDefault).pop()!.to).toEqual(horizon);
    }
  });

  it('exports closed partitions row for row, drops them, and leaves the hot path working', async () => {
    // Today's history: payments settled through the API and worker.
    const recent = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3 })));
    await waitAll(f, recent.map((p) => p.ref), 'confirmed', 60_000);

    // Old history: a payment whose events were written 30 days ago (they land in a closed partition).
    const oldRef = await insertQueuedPayment(f, (await f.sign({ payerIndex: 4 })).body);
    await f.api.db.query(`UPDATE payments SET status = 'failed', failure_reason = 'seeded' WHERE reference = $1`, [oldRef]);
    await f.api.db.query(
      `INSERT INTO payment_events (payment_id, from_status, to_status, reason, detail, created_at)
       SELECT id, 'queued', 'failed', 'seeded', jsonb_build_object('note', E'tab\\there, newline\\nthere'), now() - interval '30 days' - k * interval '1 minute'
         FROM payments, generate_series(1, 40) k WHERE reference = $1`,
      [oldRef],
    );

    const partitions = new HistoryPartitions(f.api.db);
    const now = new Date();
    const closed = (await partitions.list()).filter((p) => !p.isDefault && p.to !== null && p.to <= now);
    expect(closed.length).toBeGreaterThan(0);
    const cutoff = closed[closed.length - 1].to!;
    const expected: Array<{ id: string }> = await f.api.db.query(`SELECT id::text FROM payment_events WHERE created_at < $1 ORDER BY id`, [cutoff]);
    expect(expected.length).toBeGreaterThanOrEqual(40);
    const open = Number((await f.api.db.query(`SELECT count(*) AS n FROM payment_events WHERE created_at >= $1`, [cutoff]))[0].n);
    const rollupBefore = await f.api.db.query(`SELECT to_status, sum(n)::int AS n FROM payment_activity GROUP BY 1 ORDER BY 1`);

    const outDir = mkdtempSync(join(tmpdir(), 'tollgate-archive-'));
    const done = await archiveEventPartitions(f.api.db, { before: now, outDir, now });

    // Every closed partition, and only those, was archived; rows exported == rows that were in them.
    expect(done.map((d) => d.partition)).toEqual(closed.map((p) => p.name));
    expect(done.reduce((n, d) => n + d.rows, 0)).toBe(expected.length);
    const remaining = (await partitions.list()).map((p) => p.name);
    for (const p of closed) expect(remaining).not.toContain(p.name);
    const [{ n: tables }] = await f.api.db.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`, [closed.map((p) => p.name)]);
    expect(tables).toBe(0);

    // The files decompress to exactly those rows (COPY text: id first, escapes keep one line per row).
    const lines: string[] = [];
    for (const d of done) {
      expect(await countGzipLines(d.file)).toBe(d.rows);
      lines.push(...gunzipSync(readFileSync(d.file)).toString('utf8').split('\n').filter(Boolean));
    }
    expect(lines.map((l) => l.split('\t')[0]).sort()).toEqual(expected.map((e) => e.id).sort());
    // A tab and a newline inside a value stay escaped on their row.
    expect(lines.filter((l) => l.includes('\tseeded\t')).every((l) => l.includes('tab\\\\there, newline\\\\nthere'))).toBe(true);
    expect(lines.filter((l) => l.includes('\tseeded\t'))).toHaveLength(40);

    // Open partitions untouched; the console rollups keep counting what was archived.
    expect(Number((await f.api.db.query(`SELECT count(*) AS n FROM payment_events`))[0].n)).toBe(open);
    expect(await f.api.db.query(`SELECT to_status, sum(n)::int AS n FROM payment_activity GROUP BY 1 ORDER BY 1`)).toEqual(rollupBefore);
    // The old payment is still there (it is not final with an expired authorization, so it never left the hot
    // table), without its archived history.
    const old = await merchantGet(`/v1/merchant/payments/${oldRef}`);
    expect(old.status).toBe(200);
    expect(old.body.status).toBe('failed');

    // The hot path after: verify, settle, batch, confirm, and the history of the new payments is whole.
    const after = await settleMany(f, Array.from({ length: 5 }, (_, i) => ({ payerIndex: i % 3 })));
    await waitAll(f, after.map((p) => p.ref), 'confirmed', 60_000);
    const detail = await merchantGet(`/v1/merchant/payments/${after[0].ref}`);
    expect(detail.status).toBe(200);
    expect(JSON.stringify(detail.body)).toMatch(/confirmed/);
    const [{ n: history }] = await f.api.db.query(
      `SELECT count(*)::int AS n FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = ANY($1)`,
      [after.map((p) => p.ref)],
    );
    expect(history).toBe(5 * 6); // verified, queued, batched, submitted, included, confirmed
  }, 180_000);
});
