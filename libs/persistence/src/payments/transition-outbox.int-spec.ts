import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase, insertPaymentRows, planCapturingPool } from '@tollgate/testing';
import { PaymentLedger } from './payment-ledger';

/**
 * A batch transition writes its events and webhook deliveries in work proportional to the batch: each delivery
 * names its own event without the statement searching the batch's events for it (a nested loop of the moved rows
 * over the inserted events was N² per edge: 40,000 row visits for a 200-payment batch, 20-30 ms of Postgres time
 * per batch transition).
 */
describe('transition outbox (real Postgres)', () => {
  const N = 300;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ledger: PaymentLedger;
  let plans: string[];
  const merchantId = randomUUID();
  const quietMerchantId = randomUUID();
  const asset = `0x${'a'.repeat(40)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Every plan with its row counts per node.
    ({ pool, plans } = planCapturingPool(db.url, ['log_analyze=on', 'log_timing=off']));
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'outbox test'), ($2, 'no endpoints')`, [merchantId, quietMerchantId]);
    await pool.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext)
       VALUES ($1, 'http://127.0.0.1:9/hook', ARRAY['*'], 'x'), ($1, 'http://127.0.0.1:9/other', ARRAY['payment.confirmed'], 'x')`,
      [merchantId],
    );
    // The ledger runs transitions outside a caller's transaction on the pool its data source holds.
    ledger = new PaymentLedger({ driver: { master: pool } } as unknown as DataSource, pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** `n` submitted payments of `merchant` (every third of another payer), answering their ids. */
  const submitted = (n: number, merchant: string): Promise<string[]> =>
    insertPaymentRows(pool, { merchantId: merchant, asset, n, status: 'submitted', payers: 3 });

  /** The most row visits of any plan node (rows × loops) in the plans captured by `fn`. */
  async function mostRowVisits(fn: () => Promise<unknown>): Promise<number> {
    plans.length = 0;
    await fn();
    let most = 0;
    for (const m of plans.join('\n').matchAll(/actual rows=(\d+) loops=(\d+)/g)) most = Math.max(most, Number(m[1]) * Number(m[2]));
    return most;
  }

  it('an included-and-confirmed batch: every delivery points to its own event, at its time, and no plan node visits more than a few rows per payment', async () => {
    const ids = await submitted(N, merchantId);
    const batchId = randomUUID();
    const logIndexes = new Map(ids.map((id, i) => [id, i]));
    let moved: string[] = [];
    const visits = await mostRowVisits(async () => {
      moved = await ledger.transition(ids, 'submitted', 'included', {
        patch: { tx_hash: `0x${'ab'.repeat(32)}`, block_number: '7', block_hash: `0x${'cd'.repeat(32)}`, included_at: new Date() },
        logIndexes,
        settlementBatch: batchId,
        then: { to: 'confirmed', detail: { confirmations: '1' }, patch: { confirmed_at: new Date() } },
      });
    });
    expect(moved.sort()).toEqual([...ids].sort());
    expect(visits).toBeLessThanOrEqual(4 * N);

    // Both edges in history, in order per payment.
    const events = await pool.query(
      `SELECT payment_id, array_agg(from_status || '>' || to_status ORDER BY id) AS steps FROM payment_events WHERE payment_id = ANY($1::uuid[]) GROUP BY payment_id`,
      [ids],
    );
    expect(events.rows).toHaveLength(N);
    for (const r of events.rows) expect(r.steps).toEqual(['submitted>included', 'included>confirmed']);

    // Per payment: `payment.included` to the '*' endpoint, `payment.confirmed` to both, each naming the event of its
    // own edge and stamped with that event's time.
    const { rows: deliveries } = await pool.query(
      `SELECT d.event_type, count(*)::int AS n,
              count(*) FILTER (WHERE ev.id IS NOT NULL AND ev.payment_id = d.payment_id AND d.occurred_at = ev.created_at
                                 AND ev.to_status = split_part(d.event_type, '.', 2) AND d.snapshot->>'status' = ev.to_status)::int AS matching
         FROM webhook_deliveries d LEFT JOIN payment_events ev ON ev.id = d.payment_event_id
        WHERE d.merchant_id = $1 GROUP BY d.event_type ORDER BY d.event_type`,
      [merchantId],
    );
    expect(deliveries).toEqual([
      { event_type: 'payment.confirmed', n: 2 * N, matching: 2 * N },
      { event_type: 'payment.included', n: N, matching: N },
      { event_type: 'settlement.confirmed', n: 1, matching: 0 },
      { event_type: 'settlement.included', n: 1, matching: 0 },
    ]);
    const { rows: batch } = await pool.query(
      `SELECT snapshot->>'count' AS count, snapshot->>'batchId' AS batch, jsonb_array_length(snapshot->'payments') AS listed
         FROM webhook_deliveries WHERE merchant_id = $1 AND event_type = 'settlement.included'`,
      [merchantId],
    );
    expect(batch).toEqual([{ count: String(N), batch: batchId, listed: N }]);
    // The second edge's deliveries come after the first's, as two transitions would have made them.
    const { rows: order } = await pool.query(
      `SELECT bool_and(c.created_at > i.created_at) AS later FROM webhook_deliveries i JOIN webhook_deliveries c USING (payment_id)
        WHERE i.event_type = 'payment.included' AND c.event_type = 'payment.confirmed' AND i.merchant_id = $1`,
      [merchantId],
    );
    expect(order[0].later).toBe(true);
  });

  it('a merchant with no endpoint: the transition writes its events and no delivery, in as few row visits', async () => {
    const ids = await submitted(N, quietMerchantId);
    const visits = await mostRowVisits(() =>
      ledger.transition(ids, 'submitted', 'included', {
        patch: { tx_hash: `0x${'ab'.repeat(32)}`, block_number: '8', block_hash: `0x${'cd'.repeat(32)}`, included_at: new Date() },
        settlementBatch: randomUUID(),
        then: { to: 'confirmed', patch: { confirmed_at: new Date() } },
      }),
    );
    expect(visits).toBeLessThanOrEqual(4 * N);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM payment_events WHERE payment_id = ANY($1::uuid[])`, [ids]);
    expect(rows[0].n).toBe(2 * N);
    const { rows: none } = await pool.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE merchant_id = $1`, [quietMerchantId]);
    expect(none[0].n).toBe(0);
  });
});
