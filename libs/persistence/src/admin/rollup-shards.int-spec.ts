import { Client } from 'pg';
import { createTestDatabase } from '@tollgate/testing';

/**
 * The console rollups kept by the `payment_events` trigger (migrations 1763870000000, 1763940000000): open
 * transactions writing events never wait on each other's rollup rows. With shards chosen by backend pid mod 8,
 * nine of them always had two on one shard, and the second waited until the first committed — while an
 * accept holds its payer's advisory lock, which is how two API processes deadlocked.
 */
describe('console rollup shards', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const clients: Client[] = [];
  const merchantId = '00000000-0000-4000-8000-0000000000bb';
  let paymentId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query(`INSERT INTO merchants (id, name) VALUES ($1, 'rollup test')`, [merchantId]);
    [{ id: paymentId }] = (
      await c.query(
        `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                               expires_at, nonce, signature, status, requirements)
         VALUES ('pay_rollup', $1, 2, 'exact', 'eip155:1', '0x' || repeat('a', 40), '0x' || repeat('b', 40), '0x' || repeat('c', 40), 5, 0,
                 9999999999, now() + interval '1 hour', '0x' || repeat('d', 64), '0x', 'verified', '{}') RETURNING id`,
        [merchantId],
      )
    ).rows;
    await c.end();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.drop();
  });

  it('nine open transactions each record an event without waiting, and the totals count all nine', async () => {
    const before = await totals();
    for (let i = 0; i < 9; i++) {
      const c = new Client({ connectionString: db.url });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      await c.query('BEGIN');
      // A wait on another open transaction's rollup row fails at once instead of hanging the test.
      await c.query(`SET LOCAL lock_timeout = '2s'`);
      await c.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, NULL, 'verified')`, [paymentId]);
    }
    for (const c of clients) await c.query('COMMIT');
    expect(await totals()).toEqual({ activity: before.activity + 9, merchant: before.merchant + 9 });
  });

  async function totals(): Promise<{ activity: number; merchant: number }> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT (SELECT coalesce(sum(n), 0)::int FROM payment_activity WHERE to_status = 'verified') AS activity,
                (SELECT coalesce(sum(n), 0)::int FROM payment_status_totals WHERE merchant_id = $1 AND to_status = 'verified') AS merchant`,
        [merchantId],
      );
      return rows[0];
    } finally {
      await c.end();
    }
  }
});
