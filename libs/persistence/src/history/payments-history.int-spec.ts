import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createTestDatabase } from '@tollgate/testing';
import { ConsoleSvmRepository } from '../admin/console-svm.repository';
import { createDataSource } from '../data-source';
import { archiveHistory } from './archive';
import { PaymentsHistory } from './payments-history';

/**
 * The move of finished payments to `payments_history` with several workers at once (each runs it every
 * HISTORY_MOVE_INTERVAL_MS): every eligible payment ends in exactly one of the two tables, exactly once, and
 * nothing else moves.
 */
describe('PaymentsHistory.moveFinal', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const merchantId = '00000000-0000-4000-8000-000000000003';

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 6 }).initialize();
    await ds.query(`INSERT INTO merchants (id, name) VALUES ($1, 'move test')`, [merchantId]);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('moves each eligible payment exactly once when four movers run at the same time, and nothing else', async () => {
    // 2,000 eligible (final, authorization expired, unchanged for an hour) and 400 that are not.
    await ds.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                             expires_at, nonce, signature, status, requirements, created_at, updated_at)
       SELECT 'move_' || g, $1, 2, 'exact', 'eip155:31337', '0x' || repeat('a', 40), '0x' || lpad(to_hex(g), 40, '0'), '0x' || repeat('b', 40),
              1000, 0,
              CASE WHEN g % 6 = 1 AND g > 2000 THEN extract(epoch FROM now())::bigint + 600 ELSE 1 END,
              now() - interval '2 hours', '0x' || lpad(to_hex(g), 64, '0'), '0x',
              CASE WHEN g <= 2000 THEN (ARRAY['confirmed', 'failed', 'lapsed'])[1 + g % 3]
                   WHEN g % 6 = 0 THEN 'queued' WHEN g % 6 = 1 THEN 'confirmed' WHEN g % 6 = 2 THEN 'submitted' WHEN g % 6 = 5 THEN 'failed'
                   ELSE 'verified' END,
              '{}', now() - interval '3 hours' + g * interval '1 second',
              CASE WHEN g > 2000 AND g % 6 = 5 THEN now() ELSE now() - interval '2 hours' END
         FROM generate_series(1, 2400) g`,
      [merchantId],
    );
    // A confirmed one whose authorization is still live (g % 6 = 1), a failed one changed just now (g % 6 = 5) and
    // the open ones stay.
    const eligible = Number(
      (
        await ds.query(
          `SELECT count(*) AS n FROM payments WHERE status IN ('confirmed', 'failed', 'lapsed') AND valid_before < extract(epoch FROM now())
              AND updated_at < now() - interval '1 hour'`,
        )
      )[0].n,
    );
    expect(eligible).toBe(2000);
    const before: Array<{ id: string }> = await ds.query(`SELECT id FROM payments ORDER BY id`);

    const mover = new PaymentsHistory(ds);
    const moved = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        let n = 0;
        for (let k; (k = await mover.moveFinal({ hotSeconds: 3600, limit: 150 })) > 0; ) n += k;
        return n;
      }),
    );

    expect(moved.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(moved.filter((n) => n > 0).length).toBeGreaterThan(1);
    const [{ hot, history, both }] = await ds.query(
      `SELECT (SELECT count(*)::int FROM payments) AS hot, (SELECT count(*)::int FROM payments_history) AS history,
              (SELECT count(*)::int FROM payments p JOIN payments_history h ON h.id = p.id) AS both`,
    );
    expect({ hot, history, both }).toEqual({ hot: 400, history: 2000, both: 0 });
    expect(await ds.query(`SELECT id FROM payments_all ORDER BY id`)).toEqual(before);
    const [{ wrong }] = await ds.query(
      `SELECT count(*)::int AS wrong FROM payments_history WHERE status NOT IN ('confirmed', 'failed', 'lapsed') OR valid_before >= extract(epoch FROM now())`,
    );
    expect(wrong).toBe(0);
  });
});

/**
 * A Solana payment's stored transaction (`svm_transactions`, ≈ 1.3 KB with its wire bytes) moves with the
 * payment, is read by the console from either side, and is archived and restored with its day like the rest.
 */
describe('PaymentsHistory.moveFinal: Solana transactions', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  const merchantId = '00000000-0000-4000-8000-000000000004';
  const network = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 4 }).initialize();
    await ds.query(`INSERT INTO merchants (id, name) VALUES ($1, 'svm move test')`, [merchantId]);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** One Solana payment and its stored transaction, both created `ageHours` ago. */
  async function solanaPayment(tag: string, status: string, ageHours: number, validBefore: number): Promise<string> {
    const [{ id }] = await ds.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                             expires_at, nonce, signature, status, tx_hash, requirements, created_at, updated_at)
       VALUES ($1::text, $2, 2, 'exact', $3, 'Mint1111111111111111111111111111111111111111', $7, 'PayTo111111111111111111111111111111111111111',
               1000, 0, $4, now(), '0x' || encode(sha256(convert_to($1::text, 'UTF8')), 'hex'), '', $5, 'sig_' || $1::text, '{}', now() - make_interval(hours => $6), now() - make_interval(hours => $6))
       RETURNING id`,
      [tag, merchantId, network, validBefore, status, ageHours, `Payer${status === 'confirmed' ? 'Done' : 'Live'}${'1'.repeat(32)}`],
    );
    await ds.query(
      `INSERT INTO svm_transactions (payment_id, network, fee_payer, signature, blockhash, wire_transaction, broadcasts, created_at, updated_at)
       VALUES ($1, $2, 'FeePayer111111111111111111111111111111111111', 'sig_' || $3, 'Blockhash11111111111111111111111111111111111', repeat('A', 1200), 1,
               now() - make_interval(hours => $4), now() - make_interval(hours => $4))`,
      [id, network, tag, ageHours],
    );
    return id;
  }

  it('moves a final payment’s transaction with it, keeps an unfinished one’s, and archives and restores it with its day', async () => {
    const done = await solanaPayment('svm_done', 'confirmed', 50, 1);
    const live = await solanaPayment('svm_live', 'submitted', 1, Math.floor(Date.now() / 1000) + 600);
    const consoleSvm = new ConsoleSvmRepository(ds);
    const before = await consoleSvm.transaction(done);
    expect(before).toMatchObject({ signature: 'sig_svm_done', broadcasts: 1 });

    expect(await new PaymentsHistory(ds).moveFinal({ hotSeconds: 3600, limit: 100 })).toBe(1);

    const where = async (id: string) =>
      (await ds.query(
        `SELECT (SELECT count(*)::int FROM svm_transactions WHERE payment_id = $1) AS hot,
                (SELECT count(*)::int FROM svm_transactions_history WHERE payment_id = $1) AS history`,
        [id],
      ))[0];
    expect(await where(done)).toEqual({ hot: 0, history: 1 });
    expect(await where(live)).toEqual({ hot: 1, history: 0 });
    // The console's payment page reads the same transaction from history.
    expect(await consoleSvm.transaction(done)).toEqual(before);
    expect(await consoleSvm.transaction(live)).toMatchObject({ signature: 'sig_svm_live' });

    // Two days old: the legacy partition (everything before the migration day), closed, archived with its day.
    const outDir = mkdtempSync(join(tmpdir(), 'tollgate-svm-archive-'));
    // Any other closed partition is a day that ended empty (the migration's own day, when the test template was
    // migrated before midnight UTC).
    const closed = (await archiveHistory(ds, { before: new Date(), outDir })).filter((a) => a.table === 'svm_transactions_history');
    const archived = closed.filter((a) => a.partition === 'svm_transactions_history_legacy');
    expect(archived.map((a) => a.rows)).toEqual([1]);
    expect(closed.filter((a) => a !== archived[0]).every((a) => a.rows === 0)).toBe(true);
    const lines = gunzipSync(readFileSync(archived[0].file)).toString('utf8').trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual([done]);
    expect(await consoleSvm.transaction(done)).toBeNull();
    expect(await consoleSvm.transaction(live)).toMatchObject({ signature: 'sig_svm_live' });

    // The README's restore: COPY the file back into the parent (routed to the default partition now).
    const client = await (ds.driver as PostgresDriver).master.connect();
    try {
      await pipeline(createReadStream(archived[0].file), createGunzip(), client.query(copyFrom('COPY svm_transactions_history FROM STDIN')));
    } finally {
      client.release();
    }
    expect(await consoleSvm.transaction(done)).toEqual(before);
  });
});
