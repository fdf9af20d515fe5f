import { DataSource } from 'typeorm';
import { createTestDatabase } from '@tollgate/testing';
import { createDataSource } from '../data-source';
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
