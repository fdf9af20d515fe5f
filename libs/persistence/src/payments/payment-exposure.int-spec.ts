import { randomBytes, randomInt } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { acceptArgs, createTestDatabase, randomHex } from '@tollgate/testing';
import { COMPACT_EXPOSURE_SQL, EXPOSURE_GRACE_SECONDS, EXPOSURE_GROUND_TRUTH_SQL, EXPOSURE_TRIGGER_BODY, exposureTotalSql } from './payment-exposure.sql';
import { createDataSource } from '../data-source';
import type { AcceptArgs } from './payment-accept';
import { PaymentLedger } from './payment-ledger';
import { OperatorActionsRepository } from '../settlement/operator-actions.repository';
import { PAYMENT_STATUSES, PaymentStatus } from './payment-status';

/**
 * The maintained exposure (payment-exposure.sql.ts) against real Postgres: always equal to the ground-truth
 * sum over `payments`, whatever path wrote the rows, and the guards built on it stay exact.
 */
describe('payment exposure', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ds: DataSource;
  let ledger: PaymentLedger;
  const merchants = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
  const asset = `0x${'a'.repeat(40)}`;
  const network = 'eip155:31337';

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 6, options: '-c synchronous_commit=off' });
    for (const id of merchants) await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'exposure test')`, [id]);
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    ledger = new PaymentLedger(ds, pool);
  });
  afterAll(async () => {
    await pool.end();
    await ds.destroy();
    await db.drop();
  });

  const hex = randomHex;
  const args = (o: Partial<AcceptArgs> = {}): AcceptArgs => acceptArgs({ network, asset, merchantId: merchants[0], ...o });

  /** Maintained totals and the ground truth, per bucket, as sorted comparable lines. */
  async function both(c: Pool | PoolClient = pool): Promise<{ maintained: string[]; truth: string[] }> {
    const line = (r: Record<string, unknown>) => Object.values(r).map(String).join('|');
    const maintained = await c.query(
      `SELECT party, party_id, network, asset, by_minute, bucket::text AS bucket, sum(amount)::text AS amount FROM payment_exposure
        GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(amount) <> 0`,
    );
    const truth = await c.query(
      `SELECT party, party_id, network, asset, by_minute, bucket::text AS bucket, amount::text AS amount FROM (${EXPOSURE_GROUND_TRUTH_SQL}) t`,
    );
    return { maintained: maintained.rows.map(line).sort(), truth: truth.rows.map(line).sort() };
  }
  /** What counts, summed over `payments` directly: unsettled and `validBefore` less than the grace past. */
  const COUNTS = `status IN ('verified', 'queued', 'batched', 'submitted') AND expires_at > now() - make_interval(secs => ${EXPOSURE_GRACE_SECONDS})`;
  /** The accept function's guard expression and the plain sum over `payments`, in one statement (one now()). */
  async function guards(party: 'payer' | 'merchant', partyId: string): Promise<{ guard: string; sum: string }> {
    const expr = exposureTotalSql(party, '$1').replace(/p_network/g, '$2').replace(/p_asset/g, '$3').replace(/v_id/g, 'NULL::uuid');
    const column = party === 'payer' ? 'payer' : 'merchant_id::text';
    const { rows } = await pool.query(
      `SELECT (${expr})::text AS guard,
              (SELECT coalesce(sum(amount), 0) FROM payments WHERE ${column} = $1 AND network = $2 AND asset = $3 AND ${COUNTS})::text AS sum`,
      [partyId, network, asset],
    );
    return rows[0];
  }
  const expectExact = async (payers: string[] = []) => {
    const { maintained, truth } = await both();
    expect(maintained).toEqual(truth);
    for (const payer of payers) {
      const g = await guards('payer', payer);
      expect(g.guard).toBe(g.sum);
    }
    for (const m of merchants) {
      const g = await guards('merchant', m);
      expect(g.guard).toBe(g.sum);
    }
  };

  it('the functions installed are the ones in payment-exposure.sql.ts', async () => {
    const { rows } = await pool.query(
      `SELECT proname, prosrc FROM pg_proc WHERE proname IN ('tollgate_exposure_add', 'tollgate_payments_exposure') ORDER BY proname`,
    );
    // The per-bucket helper of 1763920000000 is gone (1763960000000): the trigger applies its deltas itself.
    expect(rows).toEqual([{ proname: 'tollgate_payments_exposure', prosrc: EXPOSURE_TRIGGER_BODY }]);
  });

  it('random inserts, transitions (ledger and direct), deletes and folds: maintained totals always equal the sum over payments', async () => {
    const payers = [hex(20), hex(20), hex(20)];
    // A few shared expiry instants (some past the grace, some within it, some passing while the test runs, some in
    // the next minutes) so buckets collect several payments and the guard's instant/minute split is crossed.
    const t0 = Math.floor(Date.now() / 1000);
    const instants = [-180, -120, -61, -59, -1, 2, 5, 9, 30, 61, 600, 3600].map((s) => new Date((t0 + s) * 1000));
    const ids: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)];
    const some = (): string[] => ids.filter(() => randomInt(3) === 0);
    for (let step = 0; step < 150; step++) {
      const op = randomInt(8);
      if (op <= 2 || ids.length < 5) {
        const rows = await Promise.all(
          Array.from({ length: 1 + randomInt(4) }, () =>
            ledger.accept(args({ payer: pick(payers), merchantId: pick(merchants), amount: String(randomInt(1, 5000)), expiresAt: pick(instants) })),
          ),
        );
        for (const r of rows) if (r.payment_id) ids.push(r.payment_id);
      } else if (op === 3) {
        // The real ledger path, as the settle and the workers use it.
        const from = pick(['verified', 'queued', 'batched', 'submitted', 'included'] as const);
        const to = pick({ verified: ['queued', 'lapsed', 'failed'], queued: ['batched', 'failed'], batched: ['submitted', 'queued'], submitted: ['included', 'queued'], included: ['confirmed', 'queued'] }[from] as PaymentStatus[]);
        await ledger.transition(some(), from, to);
      } else if (op === 4) {
        // Any status, any column of the key: the trigger sees every statement, whatever wrote it.
        await pool.query(`UPDATE payments SET status = $2, expires_at = $3, amount = amount + $4, payer = $5 WHERE id = ANY($1::uuid[])`, [
          some(), pick(PAYMENT_STATUSES), pick(instants), randomInt(3), pick(payers),
        ]);
      } else if (op === 5) {
        // Several statements in one transaction, rolled back half the time.
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await c.query(`UPDATE payments SET status = 'queued' WHERE id = ANY($1::uuid[]) AND status = 'verified'`, [some()]);
          await c.query(`UPDATE payments SET merchant_id = $2 WHERE id = ANY($1::uuid[])`, [some(), pick(merchants)]);
          await c.query(randomInt(2) ? 'COMMIT' : 'ROLLBACK');
        } finally {
          c.release();
        }
      } else if (op === 6) {
        const victims = some().slice(0, 3);
        await pool.query(`DELETE FROM payment_events WHERE payment_id = ANY($1::uuid[])`, [victims]);
        await pool.query(`DELETE FROM payments WHERE id = ANY($1::uuid[])`, [victims]);
        ids.splice(0, ids.length, ...ids.filter((id) => !victims.includes(id)));
      } else {
        await pool.query(COMPACT_EXPOSURE_SQL);
      }
      await expectExact(payers);
    }
    // Folding leaves one row per bucket and no zero rows once nothing is held.
    await pool.query(COMPACT_EXPOSURE_SQL);
    await expectExact();
    const { rows } = await pool.query(
      `SELECT count(*)::int AS dup FROM (SELECT 1 FROM payment_exposure GROUP BY party, party_id, network, asset, by_minute, bucket
                                           HAVING count(*) > 1 OR bool_or(amount = 0)) d`,
    );
    expect(rows[0].dup).toBe(0);
  });

  it('writers of one bucket never wait for each other: a held row makes a second partial row; totals stay exact and fold back', async () => {
    const a = await pool.connect();
    const b = await pool.connect();
    const expiresAt = new Date(Math.floor(Date.now() / 1000 + 900) * 1000);
    const insert = (c: PoolClient) =>
      c.query(
        `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after,
                               valid_before, expires_at, nonce, signature, status, requirements)
         VALUES ($1, $2, 2, 'exact', $3, $4, $5, $4, 700, 0, 9999999999, $6, $7, '0x', 'verified', '{}')`,
        [`pay_${randomBytes(12).toString('hex')}`, merchants[1], network, asset, hex(20), expiresAt, hex(32)],
      );
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await insert(a);
      await insert(b); // would hang here if it waited for a's row
      await a.query('COMMIT');
      await b.query('COMMIT');
    } finally {
      a.release();
      b.release();
    }
    const merchantRows = () =>
      pool.query(`SELECT amount::text FROM payment_exposure WHERE party = 'merchant' AND party_id = $1 AND NOT by_minute AND bucket = $2`, [
        merchants[1],
        expiresAt,
      ]);
    expect((await merchantRows()).rows.map((r) => r.amount).sort()).toEqual(['700', '700']);
    await expectExact();
    await pool.query(COMPACT_EXPOSURE_SQL);
    expect((await merchantRows()).rows).toEqual([{ amount: '1400' }]);
    await expectExact();
  });

  it('concurrent verifies of one payer that together exceed the balance: exactly one is accepted', async () => {
    const payer = hex(20);
    const rows = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const call = args({ payer, amount: '600', payerBalance: '1000', merchantId: merchants[i % 2] });
        // Alternate the batched path and the single statement (a merchant maximum runs alone).
        return ledger.accept(i % 2 ? { ...call, merchantMaxExposure: '1000000000' } : call);
      }),
    );
    expect(rows.map((r) => r.outcome).sort()).toEqual(['created', ...Array(5).fill('payer_exposure')]);
    expect(rows.filter((r) => r.outcome === 'payer_exposure').every((r) => r.detail === '600')).toBe(true);
  });

  it('a payer with 10,000 payments in flight still gets exact verdicts (expired ones excluded, a retry not counting itself)', async () => {
    const payer = hex(20);
    const merchant = '00000000-0000-4000-8000-000000000003';
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'exposure test, 10k')`, [merchant]);
    const now = Math.floor(Date.now() / 1000);
    // 10,000 rows in one statement: 2,500 per status, spread over 50 instants, a fifth long expired (none near the
    // horizon, so no bucket expires while the test runs).
    await pool.query(
      `INSERT INTO payments (reference, merchant_id, x402_version, scheme, network, asset, payer, pay_to, amount, valid_after,
                             valid_before, expires_at, nonce, signature, status, requirements)
       SELECT 'seed_' || g || '_' || $4, $1, 2, 'exact', $2, $3, $4, $3, 1 + g % 7, 0, 9999999999,
              to_timestamp($5 + (g % 50) * 60 + CASE WHEN g % 50 < 10 THEN -3600 ELSE 600 END), '0x' || lpad(to_hex(g), 64, '0'), '0x',
              (ARRAY['verified', 'queued', 'batched', 'submitted'])[1 + g % 4], '{}'
         FROM generate_series(1, 10000) g`,
      [merchant, network, asset, payer, now],
    );
    const [{ total }] = (
      await pool.query(
        `SELECT sum(amount)::text AS total FROM payments WHERE payer = $1 AND ${COUNTS}`,
        [payer],
      )
    ).rows;
    // 50 instants and 50 minutes: the guard reads the future ones, not 10,000 payments.
    const { rows: buckets } = await pool.query(`SELECT count(*)::int AS n FROM payment_exposure WHERE party_id = $1`, [payer]);
    expect(buckets[0].n).toBeLessThanOrEqual(100);
    await expectExact();
    const first = args({ payer, merchantId: merchant, amount: '5', payerBalance: (BigInt(total) + 4n).toString() });
    expect(await ledger.accept(first)).toMatchObject({ outcome: 'payer_exposure', detail: total });
    const fits = { ...first, payerBalance: (BigInt(total) + 5n).toString() };
    expect(await ledger.accept(fits)).toMatchObject({ outcome: 'created' });
    // The retry of that verified payment must not count itself: same balance still fits.
    expect(await ledger.accept({ ...fits, reference: 'pay_retry' })).toMatchObject({ outcome: 'retry' });
    // One more unit of anything else is refused, reporting the exact total including the new payment.
    const more = await ledger.accept(args({ payer, merchantId: merchant, amount: '1', payerBalance: (BigInt(total) + 5n).toString() }));
    expect(more).toMatchObject({ outcome: 'payer_exposure', detail: (BigInt(total) + 5n).toString() });
    // The merchant guard over the same rows.
    const [{ m }] = (
      await pool.query(
        `SELECT sum(amount)::text AS m FROM payments WHERE merchant_id = $1 AND ${COUNTS}`,
        [merchant],
      )
    ).rows;
    expect(m).toBe((BigInt(total) + 5n).toString());
    const capped = await ledger.accept(args({ merchantId: merchant, amount: '1', merchantMaxExposure: m }));
    expect(capped).toMatchObject({ outcome: 'merchant_exposure', detail: m });
    await expectExact();
  });

  /** The payment_exposure rows as they are, with the transaction that last wrote each (xmin). */
  const exposureRows = async (): Promise<string[]> =>
    (await pool.query(`SELECT id::text || ':' || amount::text || ':' || xmin::text AS r FROM payment_exposure ORDER BY id`)).rows.map((r) => r.r);

  it('a payment moving from verified to submitted writes nothing to payment_exposure; leaving writes its buckets once', async () => {
    const payer = hex(20);
    const accepted = await Promise.all(Array.from({ length: 3 }, () => ledger.accept(args({ payer, amount: '250' }))));
    const ids = accepted.map((r) => r.payment_id as string);
    await pool.query(COMPACT_EXPOSURE_SQL);
    const before = await exposureRows();
    // The steps a batch takes, through the ledger as the settle and the workers take them.
    expect(await ledger.queueVerified(ids, 'deferred')).toHaveLength(3);
    expect(await ledger.transition(ids, 'queued', 'batched')).toHaveLength(3);
    expect(await ledger.transition(ids, 'batched', 'submitted')).toHaveLength(3);
    expect(await exposureRows()).toEqual(before);
    await expectExact([payer]);
    expect(await guards('payer', payer)).toEqual({ guard: '750', sum: '750' });
    // Included: no longer unsettled, its two buckets per party change (one statement for the three payments).
    expect(await ledger.transition(ids, 'submitted', 'included')).toHaveLength(3);
    expect(await guards('payer', payer)).toEqual({ guard: '0', sum: '0' });
    await expectExact([payer]);
  });

  it(`a payment in flight stops counting ${EXPOSURE_GRACE_SECONDS} s after its validBefore: past it no chain can settle it`, async () => {
    const payer = hex(20);
    const now = Date.now();
    const within = await ledger.accept(args({ payer, amount: '7', expiresAt: new Date(now - (EXPOSURE_GRACE_SECONDS - 20) * 1000) }));
    const past = await ledger.accept(args({ payer, amount: '1000', expiresAt: new Date(now - (EXPOSURE_GRACE_SECONDS + 20) * 1000) }));
    const live = await ledger.accept(args({ payer, amount: '30', expiresAt: new Date(now + 600_000) }));
    await ledger.queueVerified([within.payment_id as string, past.payment_id as string], 'deferred');
    await ledger.transition([past.payment_id as string], 'queued', 'batched');
    expect(live.outcome).toBe('created');
    expect(await guards('payer', payer)).toEqual({ guard: '37', sum: '37' });
    // The guard itself: a balance of 37 + 5 takes 5 more and not 6; the expired batched 1,000 is not in the way.
    expect(await ledger.accept(args({ payer, amount: '6', payerBalance: '42' }))).toMatchObject({ outcome: 'payer_exposure', detail: '37' });
    expect(await ledger.accept(args({ payer, amount: '5', payerBalance: '42' }))).toMatchObject({ outcome: 'created' });
    await expectExact([payer]);
    // An operator retry's balance check counts the payer's other payments the same way.
    const other = await new OperatorActionsRepository(ds).otherUnsettled({ id: live.payment_id as string, network, asset, payer });
    expect(other).toBe(String(7 + 5));
  });
});
