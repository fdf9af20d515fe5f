import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { acceptArgs, createTestDatabase, planCapturingPool } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { HOT_PATH_FUNCTIONS, HOT_PATH_PLAN_SETTING } from './hot-path-plans.sql';
import type { AcceptArgs } from './payment-accept';
import { PaymentLedger } from './payment-ledger';

/**
 * The hot-path functions keep index plans when the generic plan plpgsql caches per connection was made while
 * the tables were empty (a fresh database), and the tables then grow without an ANALYZE in between: on the
 * bench's fresh database every accept had scanned the whole of `payments` and `payment_exposure`.
 */
describe('hot-path plans', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ds: DataSource;
  let ledger: PaymentLedger;
  let plans: string[];
  const merchantId = '00000000-0000-4000-8000-000000000002';
  const asset = `0x${'a'.repeat(40)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One connection, so the plans cached by the first accepts are the ones the later accepts use; nested
    // statements' plans too (those inside the accept functions).
    ({ pool, plans } = planCapturingPool(db.url, ['log_nested_statements=on']));
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'plans test')`, [merchantId]);
    // Statistics of empty tables, and no autovacuum to refresh them (and so invalidate the cached plans) mid-test.
    for (const t of ['payments', 'payment_exposure', 'payment_activity', 'payment_status_totals']) {
      await pool.query(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
      await pool.query(`ANALYZE ${t}`);
    }
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 1 }).initialize();
    ledger = new PaymentLedger(ds, pool);
  });
  afterAll(async () => {
    await pool?.end();
    await ds?.destroy();
    await db?.drop();
  });

  const args = (): AcceptArgs => acceptArgs({ merchantId, asset, payerBalance: '1000000' });

  it('every hot-path function carries the setting (a CREATE OR REPLACE without it would drop it)', async () => {
    for (const f of HOT_PATH_FUNCTIONS) {
      const { rows } = await pool.query(`SELECT proconfig FROM pg_proc WHERE oid = $1::regprocedure`, [f]);
      expect({ f, proconfig: rows[0]?.proconfig }).toEqual({ f, proconfig: [HOT_PATH_PLAN_SETTING] });
    }
  });

  it('accepts on tables that grew after their plans were cached still look payments and exposure up by index', async () => {
    // More than five calls: plpgsql then settles on a generic plan, made from the empty tables' statistics.
    for (let i = 0; i < 8; i++) expect((await ledger.accept(args())).outcome).toBe('created');

    // The tables grow by thousands of rows (other payers' verified payments, each in exposure buckets), with no
    // ANALYZE to invalidate the cached plans.
    await pool.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after, valid_before,
                             expires_at, nonce, signature, status, requirements)
       SELECT 'seed_' || g, $1, 2, 'exact', 'eip155:31337', $2, '0x' || lpad(to_hex(g % 500), 40, '0'), '0x' || repeat('b', 40), 1000, 0, 9999999999,
              now() + (g || ' seconds')::interval, '0x' || lpad(to_hex(g), 64, '0'), '0x', 'verified', '{}'::jsonb
         FROM generate_series(1, 3000) g`,
      [merchantId, asset],
    );
    expect(Number((await pool.query(`SELECT count(*) FROM payment_exposure`)).rows[0].count)).toBeGreaterThan(1000);

    plans.length = 0;
    for (let i = 0; i < 3; i++) expect((await ledger.accept(args())).outcome).toBe('created');
    const scans = plans.join('\n');
    expect(scans).toContain('payment_exposure');
    // The authorization lookup (uq_payments_authorization or the nonce's hash index) and the exposure buckets.
    expect(scans).toMatch(/Index (Only )?Scan using (uq_payments_authorization|idx_payments_nonce) on payments p\b/);
    expect(scans).toMatch(/Index (Only )?Scan using idx_payment_exposure_bucket on payment_exposure\b/);
    expect(scans).not.toMatch(/Seq Scan on payments\b/);
    expect(scans).not.toMatch(/Seq Scan on payment_exposure\b/);
    // No index walked from end to end either (with sequential scans off, a join that cannot look rows up by key
    // becomes a full index scan): every index scan in the accept's plans, triggers included, has a key condition.
    const unbounded = scans
      .split('\n')
      .map((line, i, lines) => ({ line: line.trim(), next: lines[i + 1] ?? '' }))
      .filter(({ line, next }) => /Index (Only )?Scan using \w+ on \w+/.test(line) && !/Index Cond:/.test(next))
      .map(({ line }) => line);
    expect(unbounded).toEqual([]);
  });
});
