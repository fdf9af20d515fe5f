import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Pool as PgPool } from 'pg';
import { acceptArgs, createTestDatabase, insertPaymentRows } from '@tollgate/testing';
import { PaymentLedger } from './payment-ledger';

/**
 * Compact payment events (payment-events.sql.ts, migration 1764020000000): acceptance writes no event row, and a
 * batch's submitted, included and confirmed steps are one `payment_events` row each for the whole batch; every
 * payment's history, its webhooks and the console rollups still show every step of every payment.
 */
describe('compact payment events (real Postgres)', () => {
  const N = 200;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: PgPool;
  let ledger: PaymentLedger;
  const merchantId = randomUUID();
  const asset = `0x${'c'.repeat(40)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new PgPool({ connectionString: db.url, max: 4 });
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'batch steps')`, [merchantId]);
    await pool.query(`INSERT INTO relayers (network, address, next_nonce) VALUES ('eip155:31337', '0x' || repeat('d', 40), 0)`);
    await pool.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext) VALUES ($1, 'http://127.0.0.1:9/hook', ARRAY['*'], 'x')`,
      [merchantId],
    );
    ledger = new PaymentLedger({ driver: { master: pool } } as unknown as DataSource, pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** `n` queued payments, answering their ids (inserted directly: their history starts with their acceptance, then `batched`). */
  const queued = (n: number): Promise<string[]> => insertPaymentRows(pool, { merchantId, asset, n, status: 'queued', payers: 7 });

  /** A new batch row (payments reference it). */
  async function batch(): Promise<string> {
    const { rows } = await pool.query(
      `INSERT INTO settlement_batches (network, asset, relayer, status, payment_count) VALUES ('eip155:31337', $1, '0x' || repeat('d', 40), 'building', 0) RETURNING id`,
      [asset],
    );
    return rows[0].id;
  }

  const eventRows = async (): Promise<number> => Number((await pool.query(`SELECT count(*) AS n FROM payment_events`)).rows[0].n);
  const historyOf = async (id: string): Promise<Array<{ from_status: string | null; to_status: string; batch: string | null }>> =>
    (await pool.query(`SELECT from_status, to_status, detail->>'batchId' AS batch FROM tollgate_payment_events($1) ORDER BY id`, [id])).rows;
  const rollup = async (to: string): Promise<number> =>
    Number((await pool.query(`SELECT coalesce(sum(n), 0) AS n FROM payment_status_totals WHERE merchant_id = $1 AND to_status = $2`, [merchantId, to])).rows[0].n);

  it('a batch writes one event row per step, and each payment still has its whole history, webhooks and counts', async () => {
    const ids = await queued(N);
    const batchId = await batch();
    let before = await eventRows();
    expect(await ledger.transition(ids, 'queued', 'batched', { patch: { batch_id: batchId }, detail: { batchId }, batchStep: batchId })).toHaveLength(N);
    expect(await eventRows()).toBe(before + 1);
    expect((await pool.query(`SELECT x::text FROM tollgate_batch_payments($1) x`, [batchId])).rows.map((r: { x: string }) => r.x).sort()).toEqual([...ids].sort());

    before = await eventRows();
    expect(await ledger.transition(ids, 'batched', 'submitted', { detail: { txHash: `0x${'ab'.repeat(32)}` }, batchStep: batchId })).toHaveLength(N);
    expect(await eventRows()).toBe(before + 1);

    before = await eventRows();
    const moved = await ledger.transition(ids, 'submitted', 'included', {
      patch: { tx_hash: `0x${'ab'.repeat(32)}`, block_number: '7', block_hash: `0x${'cd'.repeat(32)}`, included_at: new Date() },
      logIndexes: new Map(ids.map((id, i) => [id, i])),
      settlementBatch: batchId,
      batchStep: batchId,
      then: { to: 'confirmed', detail: { confirmations: '1' }, patch: { confirmed_at: new Date() } },
    });
    expect(moved).toHaveLength(N);
    // Two edges, one row each: 2 rows where one per payment per edge wrote 400.
    expect(await eventRows()).toBe(before + 2);

    // The step rows list exactly the moved payments and name the batch.
    const steps = (
      await pool.query(
        `SELECT from_status, to_status, payment_ids::text[] AS ids, detail FROM payment_events WHERE payment_id IS NULL AND detail->>'batchId' = $1 ORDER BY id`,
        [batchId],
      )
    ).rows;
    expect(steps.map((s: { from_status: string; to_status: string }) => `${s.from_status}->${s.to_status}`)).toEqual([
      'queued->batched',
      'batched->submitted',
      'submitted->included',
      'included->confirmed',
    ]);
    for (const s of steps) expect([...s.ids].sort()).toEqual([...ids].sort());
    expect(steps[3].detail).toEqual({ confirmations: '1', batchId });

    // Every payment's history has every step, in order.
    for (const id of [ids[0], ids[N - 1]]) {
      expect(await historyOf(id)).toEqual([
        { from_status: null, to_status: 'verified', batch: null },
        { from_status: 'queued', to_status: 'batched', batch: batchId },
        { from_status: 'batched', to_status: 'submitted', batch: batchId },
        { from_status: 'submitted', to_status: 'included', batch: batchId },
        { from_status: 'included', to_status: 'confirmed', batch: batchId },
      ]);
    }

    // The console rollups and webhooks see each payment. Webhooks stay per payment: one payment.included and one payment.confirmed each, pointing at the step's row.
    const deliveries = (
      await pool.query(
        `SELECT d.event_type, count(*)::int AS n, count(DISTINCT d.payment_id)::int AS payments, count(DISTINCT d.payment_event_id)::int AS events
           FROM webhook_deliveries d WHERE d.payment_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
        [ids],
      )
    ).rows;
    expect(deliveries).toEqual([
      { event_type: 'payment.confirmed', n: N, payments: N, events: 1 },
      { event_type: 'payment.included', n: N, payments: N, events: 1 },
    ]);

    // The console rollups count a step once per payment it lists.
    for (const to of ['batched', 'submitted', 'included', 'confirmed']) expect(await rollup(to)).toBe(N);

    // Replayed: nothing moves, nothing is written.
    before = await eventRows();
    expect(await ledger.transition(ids, 'batched', 'submitted', { batchStep: batchId })).toEqual([]);
    expect(await eventRows()).toBe(before);
  });

  it('a payment that left a batch and settled in another shows only the steps it took in each', async () => {
    const ids = await queued(3);
    const [leaver] = ids;
    const first = await batch();
    const second = await batch();
    await ledger.transition(ids, 'queued', 'batched', { patch: { batch_id: first }, detail: { batchId: first }, batchStep: first });
    // The first batch's simulation drops the leaver; the others are submitted.
    await ledger.transition([leaver], 'batched', 'queued', { reason: 'simulation_failed', patch: { batch_id: null } });
    await ledger.transition(ids.slice(1), 'batched', 'submitted', { batchStep: first });
    await ledger.transition([leaver], 'queued', 'batched', { patch: { batch_id: second }, detail: { batchId: second }, batchStep: second });
    await ledger.transition([leaver], 'batched', 'submitted', { batchStep: second });

    expect(await historyOf(leaver)).toEqual([
      { from_status: null, to_status: 'verified', batch: null },
      { from_status: 'queued', to_status: 'batched', batch: first },
      { from_status: 'batched', to_status: 'queued', batch: null },
      { from_status: 'queued', to_status: 'batched', batch: second },
      { from_status: 'batched', to_status: 'submitted', batch: second },
    ]);
    // The row that took it out of the first batch names that batch, so both memberships are known both ways.
    const left = (await pool.query(`SELECT detail FROM payment_events WHERE payment_id = $1 AND to_status = 'queued'`, [leaver])).rows;
    expect(left).toEqual([{ detail: { leftBatchId: first } }]);
    const batchesOf = async (id: string) => (await pool.query(`SELECT b::text FROM tollgate_payment_batches($1) b`, [id])).rows.map((r: { b: string }) => r.b).sort();
    expect(await batchesOf(leaver)).toEqual([first, second].sort());
    expect(await batchesOf(ids[1])).toEqual([first]);
    const members = async (b: string) => (await pool.query(`SELECT x::text FROM tollgate_batch_payments($1) x`, [b])).rows.map((r: { x: string }) => r.x).sort();
    expect(await members(first)).toEqual([...ids].sort());
    expect(await members(second)).toEqual([leaver]);
    expect(await historyOf(ids[1])).toEqual([
      { from_status: null, to_status: 'verified', batch: null },
      { from_status: 'queued', to_status: 'batched', batch: first },
      { from_status: 'batched', to_status: 'submitted', batch: first },
    ]);
  });


  it('acceptance writes no event row: the history starts with it and the rollups count it, once per payment accepted', async () => {
    const before = { events: await eventRows(), verified: await rollup('verified') };
    const calls = Array.from({ length: 5 }, () => acceptArgs({ merchantId }));
    // The first four share one statement (one turn of the event loop), the last runs on its own.
    const rows = await Promise.all(calls.slice(0, 4).map((a) => ledger.accept(a)));
    rows.push(await ledger.accept(calls[4]));
    expect(rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created', 'created']);
    // A retry of an accepted authorization is not another acceptance.
    expect((await ledger.accept(calls[0])).outcome).toBe('retry');
    expect(await eventRows()).toBe(before.events);
    expect(await rollup('verified')).toBe(before.verified + 5);
    const id = rows[0].payment_id!;
    const [{ created_at }] = (await pool.query(`SELECT created_at FROM payments WHERE id = $1`, [id])).rows;
    expect((await pool.query(`SELECT id::text, from_status, to_status, created_at FROM tollgate_payment_events($1) ORDER BY id`, [id])).rows).toEqual([
      { id: '0', from_status: null, to_status: 'verified', created_at },
    ]);
    await ledger.queueVerified([id], 'deferred');
    expect((await historyOf(id)).map((e) => `${e.from_status}->${e.to_status}`)).toEqual(['null->verified', 'verified->queued']);
  });

  it('a payment accepted before the migration keeps its own acceptance row, shown once', async () => {
    const [id] = await queued(1);
    await pool.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, NULL, 'verified'), ($1, 'verified', 'queued')`, [id]);
    const history = (await pool.query(`SELECT id::text, to_status FROM tollgate_payment_events($1) ORDER BY id`, [id])).rows;
    expect(history.map((e: { to_status: string }) => e.to_status)).toEqual(['verified', 'queued']);
    expect(history[0].id).not.toBe('0');
  });

  it('refuses a batch step from several statuses (one step, one from)', async () => {
    await expect(ledger.transition([randomUUID()], ['batched', 'submitted'], 'queued', { batchStep: randomUUID() })).rejects.toThrow(/one status/);
  });
});
