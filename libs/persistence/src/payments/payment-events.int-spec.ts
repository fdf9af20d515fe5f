import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Pool as PgPool } from 'pg';
import { acceptArgs, createTestDatabase, insertPaymentRows } from '@tollgate/testing';
import { ACCEPTANCE_EVENT_ID, QUEUED_STEP_EVENT_ID } from './payment-events.sql';
import { PaymentLedger } from './payment-ledger';

/**
 * Compact payment events (payment-events.sql.ts, migrations 1764020000000 and 1764040000000): acceptance and the
 * queue step write no event row, and a batch's steps are one `payment_events` row each for the whole batch; every
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
    expect((await pool.query(`SELECT e.id::text AS id, e.from_status, e.to_status, e.created_at FROM tollgate_payment_events($1) e ORDER BY e.id`, [id])).rows).toEqual([
      { id: String(ACCEPTANCE_EVENT_ID), from_status: null, to_status: 'verified', created_at },
    ]);
    await ledger.queueVerified([id], 'deferred');
    expect((await historyOf(id)).map((e) => `${e.from_status}->${e.to_status}`)).toEqual(['null->verified', 'verified->queued']);
  });

  it('the queue step writes no event row either: the history shows it at queued_at, the rollups and webhooks still have it', async () => {
    const before = { events: await eventRows(), queued: await rollup('queued') };
    const calls = Array.from({ length: 4 }, () => acceptArgs({ merchantId }));
    const ids = await Promise.all(calls.map(async (a) => (await ledger.accept(a)).payment_id!));
    // Both ways /settle queues: by id after a verify, and the recent-verify shortcut (two share one statement).
    expect(await ledger.queueVerified(ids.slice(0, 2), 'deferred')).toHaveLength(2);
    const recent = await Promise.all(
      calls.slice(2).map((a) =>
        ledger.queueRecentlyVerified(
          { network: a.network, asset: a.asset, payer: a.payer, payTo: a.payTo, value: BigInt(a.amount), validAfter: BigInt(a.validAfter), validBefore: BigInt(a.validBefore), nonce: a.nonce, signature: a.signature },
          { merchantId, maxAgeSeconds: 60, windowSeconds: 60, mode: 'deferred' },
        ),
      ),
    );
    expect(recent.map((r) => r?.id)).toEqual(ids.slice(2));
    // A replayed settle moves nothing and counts nothing.
    expect(await ledger.queueVerified(ids, 'deferred')).toEqual([]);
    expect(await eventRows()).toBe(before.events);
    expect(await rollup('queued')).toBe(before.queued + 4);
    for (const id of ids) {
      const [{ queued_at }] = (await pool.query(`SELECT queued_at FROM payments WHERE id = $1`, [id])).rows;
      const history = (await pool.query(`SELECT e.id::text AS id, e.from_status, e.to_status, e.created_at FROM tollgate_payment_events($1) e ORDER BY e.id`, [id])).rows;
      expect(history.slice(1)).toEqual([{ id: String(QUEUED_STEP_EVENT_ID), from_status: 'verified', to_status: 'queued', created_at: queued_at }]);
      // Its payment.queued delivery (the endpoint takes every event) points at the step, at its time.
      const deliveries = (await pool.query(`SELECT event_type, payment_event_id::text, occurred_at FROM webhook_deliveries WHERE payment_id = $1`, [id])).rows;
      expect(deliveries).toEqual([{ event_type: 'payment.queued', payment_event_id: String(QUEUED_STEP_EVENT_ID), occurred_at: queued_at }]);
    }
    // The steps after it are event rows, shown after it.
    const batchId = await batch();
    await ledger.transition(ids, 'queued', 'batched', { patch: { batch_id: batchId }, batchStep: batchId });
    expect((await historyOf(ids[0])).map((e) => `${e.from_status}->${e.to_status}`)).toEqual(['null->verified', 'verified->queued', 'queued->batched']);
    // An operator retry resets queued_at; its row keeps the one it replaced, so the queue step keeps its time.
    const [{ queued_at: firstQueuedAt }] = (await pool.query(`SELECT queued_at FROM payments WHERE id = $1`, [ids[0]])).rows;
    await ledger.transition([ids[0]], 'batched', 'failed', { reason: 'simulation_failed', patch: { batch_id: null, failure_reason: 'simulation_failed' } });
    await ledger.transition([ids[0]], 'failed', 'queued', { reason: 'operator_retry', patch: { failure_reason: null, queued_at: new Date(Date.now() + 60_000) } });
    const retried = (await pool.query(`SELECT e.id, e.from_status, e.to_status, e.created_at FROM tollgate_payment_events($1) e ORDER BY e.id`, [ids[0]])).rows;
    expect(retried.map((e: { from_status: string | null; to_status: string }) => `${e.from_status}->${e.to_status}`)).toEqual([
      'null->verified', 'verified->queued', 'queued->batched', 'batched->failed', 'failed->queued',
    ]);
    expect(retried[1].created_at).toEqual(firstQueuedAt);
  });

  it('queued_at of a verified payment is set by the queue step alone, which carries no reason or detail', async () => {
    await expect(ledger.transition([randomUUID()], 'verified', 'queued', { patch: { queued_at: new Date() } })).rejects.toThrow(/queue step/);
    await expect(ledger.transition([randomUUID()], ['verified', 'failed'], 'queued', { patch: { queued_at: new Date() } })).rejects.toThrow(/queue step/);
  });

  it('a payment accepted and queued before the migrations keeps its own rows, each step shown once', async () => {
    const [id] = await queued(1);
    await pool.query(`UPDATE payments SET queued_at = now() WHERE id = $1`, [id]);
    await pool.query(`INSERT INTO payment_events (payment_id, from_status, to_status) VALUES ($1, NULL, 'verified'), ($1, 'verified', 'queued')`, [id]);
    const history = (await pool.query(`SELECT e.id::text AS id, e.to_status FROM tollgate_payment_events($1) e ORDER BY e.id`, [id])).rows;
    expect(history.map((e: { to_status: string }) => e.to_status)).toEqual(['verified', 'queued']);
    expect(history.every((e: { id: string }) => Number(e.id) > 0)).toBe(true);
  });

  it('refuses a batch step from several statuses (one step, one from)', async () => {
    await expect(ledger.transition([randomUUID()], ['batched', 'submitted'], 'queued', { batchStep: randomUUID() })).rejects.toThrow(/one status/);
  });
});
