import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { archiveHistory, ConsoleBatchesRepository, ConsolePaymentsRepository, HistoryPartitions, PAYMENTS_HISTORY, utcDay } from '@tollgate/persistence';
import { eventually, startSettlement, SettlementFixture } from '@tollgate/testing';
import { insertQueuedPayment, settleMany, waitAll } from './settlement-support';

/**
 * Finished payments leave the hot table (migration 1763980000000): the worker moves final payments whose
 * authorization has expired into `payments_history` (partitioned by day), and everything a merchant or an
 * operator reads about them stays the same; `npm run archive` then exports and drops closed days of it.
 */
describe('payments history: the move out of the hot table, and its archive', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '100', PAYMENTS_HOT_SECONDS: '3', HISTORY_MOVE_INTERVAL_MS: '200' }, 57);
    await f.startWorker();
  });
  afterAll(async () => {
    await f?.stop();
  });

  const merchantGet = async (path: string, auth = true) => {
    const res = await fetch(`${f.api.baseUrl}${path}`, { headers: auth ? { authorization: `Bearer ${f.apiKey}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };
  const where = async (refs: string[]) => {
    const rows: Array<{ reference: string; t: string }> = await f.api.db.query(
      `SELECT reference, 'hot' AS t FROM payments WHERE reference = ANY($1) UNION ALL SELECT reference, tableoid::regclass::text FROM payments_history WHERE reference = ANY($1)`,
      [refs],
    );
    return Object.fromEntries(rows.map((r) => [r.reference, r.t]));
  };
  /** The authorization expired a second ago (as if its validBefore had passed); the row changed now, so it stays PAYMENTS_HOT_SECONDS. */
  const expire = (refs: string[]) =>
    f.api.db.query(`UPDATE payments SET valid_before = extract(epoch FROM now())::bigint - 1, updated_at = now() WHERE reference = ANY($1)`, [refs]);

  it('moves final payments with an expired authorization, keeps the rest, and every reader answers as before', async () => {
    const settled = await settleMany(f, Array.from({ length: 4 }, (_, i) => ({ payerIndex: i % 2 })));
    const refs = settled.map((p) => p.ref);
    await waitAll(f, refs, 'confirmed', 60_000);
    // Still live: confirmed but its authorization has not expired; verified, not final.
    const [live] = await settleMany(f, [{ payerIndex: 2 }]);
    await waitAll(f, [live.ref], 'confirmed', 60_000);
    const verified = await f.verify((await f.sign({ payerIndex: 3 })).body);
    expect(verified.body.isValid).toBe(true);
    const verifiedRef = verified.body.extensions.tollgate.reference as string;

    await expire(refs);
    const before = {
      detail: await Promise.all(refs.map((r) => merchantGet(`/v1/merchant/payments/${r}`))),
      status: await Promise.all(refs.map((r) => merchantGet(`/v1/payments/${r}/status`, false))),
      list: await merchantGet(`/v1/merchant/payments?limit=100`),
      console: await Promise.all(refs.map((r) => new ConsolePaymentsRepository(f.api.db).find(r))),
    };
    const batches = new ConsoleBatchesRepository(f.api.db);
    const batchIds = [...new Set(before.console.map((c) => c!.batch_id as string))];
    const landedBefore = await batches.list({}, 50, 0);
    const batchPagesBefore = await Promise.all(batchIds.map((id) => batches.payments(id)));

    await eventually('moved to payments_history', async () => Object.values(await where(refs)).every((t) => t !== 'hot'), 30_000);
    const today = utcDay(new Date());
    expect(await where([...refs, live.ref, verifiedRef])).toEqual({
      ...Object.fromEntries(refs.map((r) => [r, `payments_history_p${today.toISOString().slice(0, 10).replace(/-/g, '')}`])),
      [live.ref]: 'hot',
      [verifiedRef]: 'hot',
    });
    // In exactly one table at every instant: nothing left behind, nothing doubled.
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments_all WHERE reference = ANY($1)`, [refs]);
    expect(n).toBe(refs.length);

    // Merchant API, public status, console: the same answers from history.
    expect(await Promise.all(refs.map((r) => merchantGet(`/v1/merchant/payments/${r}`)))).toEqual(before.detail);
    expect(await Promise.all(refs.map((r) => merchantGet(`/v1/payments/${r}/status`, false)))).toEqual(before.status);
    expect(await merchantGet(`/v1/merchant/payments?limit=100`)).toEqual(before.list);
    expect(await Promise.all(refs.map((r) => new ConsolePaymentsRepository(f.api.db).find(r)))).toEqual(before.console);
    const landedAfter = await batches.list({}, 50, 0);
    for (const id of batchIds) expect(landedAfter.find((b) => b.id === id)).toEqual(landedBefore.find((b) => b.id === id));
    expect(await Promise.all(batchIds.map((id) => batches.payments(id)))).toEqual(batchPagesBefore);
    const consoleList = await new ConsolePaymentsRepository(f.api.db).list({ q: refs[0] }, 10, 0);
    expect(consoleList.rows.map((r) => r.reference)).toEqual([refs[0]]);

    // The same authorization again: the chain has used its nonce, so it is refused (not a 500, not a new payment).
    const again = await f.verify(settled[0].body);
    expect(again.status).toBe(200);
    expect(again.body.isValid).toBe(false);
  }, 180_000);

  it('archives closed days of payments_history to files that restore with COPY', async () => {
    // A payment from 30 days ago: it moves into the partition for everything before the migration day.
    const oldRef = await insertQueuedPayment(f, (await f.sign({ payerIndex: 4 })).body);
    await f.api.db.query(
      `UPDATE payments SET status = 'failed', failure_reason = 'seeded', created_at = now() - interval '30 days', updated_at = now() - interval '30 days',
                           valid_before = extract(epoch FROM now() - interval '30 days')::bigint
        WHERE reference = $1`,
      [oldRef],
    );
    await eventually('old payment moved', async () => (await where([oldRef]))[oldRef] === 'payments_history_legacy', 30_000);
    const detail = await merchantGet(`/v1/merchant/payments/${oldRef}`);
    expect(detail.status).toBe(200);
    expect(detail.body.status).toBe('failed');

    const partitions = new HistoryPartitions(f.api.db, PAYMENTS_HISTORY);
    const openBefore = Number((await f.api.db.query(`SELECT count(*) AS n FROM payments_history WHERE created_at >= $1`, [utcDay(new Date())]))[0].n);
    const now = new Date();
    const outDir = mkdtempSync(join(tmpdir(), 'tollgate-payments-archive-'));
    const done = (await archiveHistory(f.api.db, { before: now, outDir, now })).filter((d) => d.table === 'payments_history');

    // Every closed partition is archived. The legacy one holds the row; any other closed one is a day that ended
    // with no history in it (the migration's own day, when the test template was migrated before midnight UTC).
    const legacy = done.filter((d) => d.partition === 'payments_history_legacy');
    expect(legacy.map((d) => d.rows)).toEqual([1]);
    expect(done.filter((d) => d !== legacy[0]).every((d) => d.rows === 0)).toBe(true);
    expect((await partitions.list()).map((p) => p.name)).not.toContain('payments_history_legacy');
    const lines = gunzipSync(readFileSync(legacy[0].file)).toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0].split('\t')[1]).toBe(oldRef);
    // Today's history is untouched, and the archived payment is gone from every reader.
    expect(Number((await f.api.db.query(`SELECT count(*) AS n FROM payments_history`))[0].n)).toBe(openBefore);
    expect((await merchantGet(`/v1/merchant/payments/${oldRef}`)).status).toBe(404);

    // The README's restore: the file's rows COPY back into payments_history (the default partition takes them).
    const client = await ((f.api.db.driver as PostgresDriver).master as Pool).connect();
    try {
      await pipeline(createReadStream(legacy[0].file), createGunzip(), client.query(copyFrom('COPY payments_history FROM STDIN')));
    } finally {
      client.release();
    }
    expect((await where([oldRef]))[oldRef]).toBe('payments_history_default');
    expect((await merchantGet(`/v1/merchant/payments/${oldRef}`)).body.status).toBe('failed');

    // The hot path afterwards: verify → settle → confirmed.
    const after = await settleMany(f, [{ payerIndex: 5 }]);
    await waitAll(f, [after[0].ref], 'confirmed', 60_000);
  }, 180_000);
});
