import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { acceptArgs, createTestDatabase, eventually, randomHex } from '@tollgate/testing';
import { ACCEPT_PAYMENT_BODY, ACCEPT_PAYMENT_SIGNATURE, ACCEPT_PAYMENTS_BODY, ACCEPT_PAYMENTS_SIGNATURE } from './accept-payment.sql';
import { createDataSource } from '../data-source';
import { HOT_PATH_PLAN_SETTING } from './hot-path-plans.sql';
import { EXPOSURE_GRACE_SECONDS } from './payment-exposure.sql';
import type { AcceptArgs } from './payment-accept';
import { PaymentLedger } from './payment-ledger';

/** The accept rule (the ledger half of /verify), batched per event-loop turn, against a real Postgres. */
describe('PaymentLedger.accept', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let ds: DataSource;
  let ledger: PaymentLedger;
  const merchantId = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 8, options: '-c synchronous_commit=off' });
    await pool.query(`INSERT INTO merchants (id, name) VALUES ($1, 'batch test')`, [merchantId]);
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    ledger = new PaymentLedger(ds, pool);
  });
  afterAll(async () => {
    await pool.end();
    await ds.destroy();
    await db.drop();
  });

  const hex = randomHex;
  const args = (o: Partial<AcceptArgs> = {}): AcceptArgs => acceptArgs({ merchantId, payerBalance: '1000000', ...o });

  it('the function the migrations installed is the one in accept-payment.sql.ts (body, signature, the plan setting of hot-path-plans.sql.ts and no other)', async () => {
    const { rows } = await pool.query(
      `SELECT p.prosrc, p.proconfig, p.provolatile, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.oid = $1::regprocedure`,
      [ACCEPT_PAYMENT_SIGNATURE],
    );
    expect(rows).toHaveLength(1);
    // A mismatch means the source file was edited without a migration that installs it again.
    expect(rows[0]).toEqual({ prosrc: ACCEPT_PAYMENT_BODY, proconfig: [HOT_PATH_PLAN_SETTING], provolatile: 'v', lanname: 'plpgsql' });
    const many = await pool.query(
      `SELECT p.prosrc, p.proconfig, p.provolatile FROM pg_proc p WHERE p.oid = $1::regprocedure`,
      [ACCEPT_PAYMENTS_SIGNATURE],
    );
    expect(many.rows).toEqual([{ prosrc: ACCEPT_PAYMENTS_BODY, proconfig: [HOT_PATH_PLAN_SETTING], provolatile: 'v' }]);
  });

  it('a burst is answered row by row as separate calls would be, including guards between rows of one statement', async () => {
    const payer = hex(20);
    const repeated = args();
    const burst = [
      ...Array.from({ length: 20 }, () => args()),
      // Same payer: 600 + 600 > balance 1,000 — the second must see the first even inside one statement.
      args({ payer, amount: '600', payerBalance: '1000' }),
      args({ payer, amount: '600', payerBalance: '1000' }),
      repeated,
      { ...repeated, reference: 'pay_other' },
    ];
    const rows = await Promise.all(burst.map((a) => ledger.accept(a)));
    expect(rows.slice(0, 20).every((r) => r.outcome === 'created')).toBe(true);
    expect(rows.slice(20, 22).map((r) => r.outcome).sort()).toEqual(['created', 'payer_exposure']);
    // The same authorization twice in one turn: one record, the second call is a retry naming it.
    expect(rows.slice(22).map((r) => r.outcome).sort()).toEqual(['created', 'retry']);
    expect(rows[22].payment_id).toBe(rows[23].payment_id);
    const [{ n }] = (await pool.query(`SELECT count(*)::int AS n FROM payments`)).rows;
    expect(n).toBe(22);
  });

  it("one payer's calls of a turn are never split over statements: one transaction (one commit) for all of them", async () => {
    const payer = hex(20);
    const rows = await Promise.all(Array.from({ length: 20 }, () => ledger.accept(args({ payer }))));
    expect(rows.every((r) => r.outcome === 'created')).toBe(true);
    // Split into chunks of 8, they would be three transactions queueing on the payer's lock.
    const { rows: xmins } = await pool.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM payments WHERE payer = $1`, [payer]);
    expect(xmins[0].n).toBe(1);
  });

  it("a payer's calls arriving while its statement runs wait for it, then share one statement; the guard stays exact", async () => {
    const payer = hex(20);
    const other = await pool.connect();
    try {
      // Another process holds the payer's lock: the first accept's statement waits in Postgres meanwhile.
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`eip155:31337|0x${'a'.repeat(40)}|${payer}`]);
      const first = ledger.accept(args({ payer, amount: '100', payerBalance: '700' }));
      await eventually('the first accept waiting for the payer lock', async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'advisory'`);
        return rows[0].n > 0;
      });
      // Ten more, one per event-loop turn: each turn would otherwise be a statement (and a commit) of its own.
      const later: Array<Promise<{ outcome: string }>> = [];
      for (let i = 0; i < 10; i++) {
        later.push(ledger.accept(args({ payer, amount: '100', payerBalance: '700' })));
        await new Promise((r) => setImmediate(r));
      }
      await other.query('COMMIT');
      const outcomes = [await first, ...(await Promise.all(later))].map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(7);
      expect(outcomes.filter((o) => o === 'payer_exposure')).toHaveLength(4);
      const { rows } = await pool.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM payments WHERE payer = $1`, [payer]);
      expect(rows[0].n).toBe(2);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
  });

  it("other payers' calls arriving while a turn's statement runs wait for it, then share statements of up to 8", async () => {
    const blocked = hex(20);
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`eip155:31337|0x${'a'.repeat(40)}|${blocked}`]);
      const first = ledger.accept(args({ payer: blocked }));
      await eventually('the first accept waiting for its payer lock', async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'advisory'`);
        return rows[0].n > 0;
      });
      // Ten payers with nothing in flight, one call per event-loop turn: each turn used to be a statement and a
      // commit of its own; now they wait for the statement in flight and go out together.
      const payers = Array.from({ length: 10 }, () => hex(20));
      const later: Array<Promise<{ outcome: string }>> = [];
      for (const payer of payers) {
        later.push(ledger.accept(args({ payer })));
        await new Promise((r) => setImmediate(r));
      }
      await other.query('COMMIT');
      expect([await first, ...(await Promise.all(later))].every((r) => r.outcome === 'created')).toBe(true);
      const { rows } = await pool.query(`SELECT count(DISTINCT xmin::text)::int AS n FROM payments WHERE payer = ANY($1)`, [payers]);
      expect(rows[0].n).toBe(2);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
  });

  it('a row the database refuses fails alone; the rest of its statement is still recorded', async () => {
    const good = Array.from({ length: 5 }, () => args());
    const bad = args({ nonce: '0xnot-a-nonce' });
    const results = await Promise.allSettled([...good, bad].map((a) => ledger.accept(a)));
    expect(results.slice(0, 5).every((r) => r.status === 'fulfilled' && r.value.outcome === 'created')).toBe(true);
    expect(results[5]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/ck_payments_nonce/) }) });
    const { rows } = await pool.query(`SELECT reference FROM payments WHERE reference = ANY($1)`, [good.map((a) => a.reference)]);
    expect(rows).toHaveLength(5);
  });

  it('an accept chosen as a deadlock victim runs again and is recorded (two API processes accepting at once)', async () => {
    // Another backend holds what a concurrent accept statement would: the rollup rows this accept's event
    // upserts (every shard, this minute and the next), and then asks for this accept's payer lock, which the
    // accept took first. The accept's session detects the deadlock first (the other one waits 30 s before
    // checking), so the accept is the victim.
    const a = args();
    const other = await pool.connect();
    try {
      await other.query(`SET deadlock_timeout = '30s'`);
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO payment_activity AS x (bucket, to_status, reason, shard, n)
         SELECT date_trunc('minute', now()) + m * interval '1 minute', 'verified', '', s, 0 FROM generate_series(0, 1) m, generate_series(0, 7) s
         ON CONFLICT (bucket, to_status, reason, shard) DO UPDATE SET n = x.n`,
      );
      const accepted = ledger.accept(a);
      // The accept holds its payer lock and waits for a rollup row.
      await eventually('the accept waiting for a rollup row', async () => {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`);
        return rows[0].n > 0;
      });
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${a.network}|${a.asset}|${a.payer}`]);
      await other.query('COMMIT');
      await expect(accepted).resolves.toMatchObject({ outcome: 'created', payment_reference: a.reference });
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
  });

  it('the many-call function answers what the single function answers call by call, and writes once per batch', async () => {
    // Two identical scenarios on fresh payers: one through tollgate_accept_payments, one call at a time through
    // tollgate_accept_payment in the same lock order. Covers repeats and conflicts of an authorization created
    // earlier in the batch, a retry of a committed payment (its own amount not counted), a settled one, an
    // expired verified one (past the grace: not counted), and the guard seeing the batch's earlier payments of the payer.
    const scenario = async (run: (calls: AcceptArgs[]) => Promise<Array<{ outcome: string; detail: string | null; same: number | null }>>) => {
      // Fresh payers, nonces increasing in list order: the list is in lock order, as the function takes it.
      const [p1, p2] = [hex(20), hex(20)].sort();
      const nonce = (k: number) => `0x${k.toString(16).padStart(64, '0')}`;
      const committedRetry = args({ payer: p1, nonce: nonce(4), amount: '100', payerBalance: '10000' });
      const settled = args({ payer: p1, nonce: nonce(5), amount: '100', payerBalance: '10000' });
      const expired = args({ payer: p2, nonce: nonce(1), amount: '5000', payerBalance: '10000', expiresAt: new Date(Date.now() - (EXPOSURE_GRACE_SECONDS + 60) * 1000) });
      for (const a of [committedRetry, settled, expired]) await ledger.accept(a);
      await pool.query(`UPDATE payments SET status = 'queued' WHERE reference = $1`, [settled.reference]);
      const twice = args({ payer: p1, nonce: nonce(1), amount: '300', payerBalance: '1000' });
      const calls = [
        twice,
        { ...twice, reference: `pay_${randomBytes(16).toString('base64url')}` },
        { ...twice, signature: hex(65), reference: `pay_${randomBytes(16).toString('base64url')}` },
        args({ payer: p1, nonce: nonce(2), amount: '500', payerBalance: '1000' }),
        args({ payer: p1, nonce: nonce(3), amount: '100', payerBalance: '1000' }),
        { ...committedRetry, reference: `pay_${randomBytes(16).toString('base64url')}`, payerBalance: '2000' },
        { ...settled, reference: `pay_${randomBytes(16).toString('base64url')}` },
        args({ payer: p2, nonce: nonce(2), amount: '9000', payerBalance: '10000' }),
        args({ payer: p2, nonce: nonce(3), amount: '1001', payerBalance: '10000' }),
        args({ payer: p2, nonce: nonce(4), amount: '1000', payerBalance: null }),
      ];
      const answers = await run(calls);
      const [{ n }] = (await pool.query(`SELECT count(*)::int AS n FROM payments WHERE payer = ANY($1)`, [[p1, p2]])).rows;
      const [{ e }] = (
        await pool.query(`SELECT count(*)::int AS e FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) v WHERE p.payer = ANY($1)`, [[p1, p2]])
      ).rows;
      return { answers, n, e };
    };
    const shape = (rows: Array<{ outcome: string; detail: string | null; payment_id: string | null }>) =>
      rows.map((r) => ({ outcome: r.outcome, detail: r.detail, same: r.payment_id === null ? null : rows.findIndex((x) => x.payment_id === r.payment_id) }));
    const columns = (calls: AcceptArgs[]) => [
      calls.map((a) => a.network), calls.map((a) => a.asset), calls.map((a) => a.payer), calls.map((a) => a.nonce),
      calls.map((a) => a.signature), calls.map((a) => a.merchantId), calls.map((a) => a.amount), calls.map((a) => a.payerBalance),
      calls.map((a) => a.reference), calls.map((a) => a.x402Version), calls.map((a) => a.scheme), calls.map((a) => a.payTo),
      calls.map((a) => a.validAfter), calls.map((a) => a.validBefore), calls.map((a) => a.expiresAt.toISOString()),
      calls.map((a) => a.paymentIdentifier), calls.map((a) => a.requirements),
    ];
    const batched = await scenario(async (calls) => {
      // Handed over out of lock order (p2's calls first): the function takes them in lock order itself; calls
      // with the same authorization keep their relative order.
      const order = [7, 8, 9, 0, 1, 2, 3, 4, 5, 6];
      const { rows } = await pool.query(
        `SELECT * FROM tollgate_accept_payments($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::numeric[],
           $8::numeric[], $9::text[], $10::smallint[], $11::text[], $12::text[], $13::numeric[], $14::numeric[], $15::timestamptz[], $16::text[], $17::jsonb[])`,
        columns(order.map((i) => calls[i])),
      );
      expect(rows.map((r) => r.ord)).toEqual(order.map((_, k) => k + 1));
      const back = new Array(calls.length);
      order.forEach((i, k) => (back[i] = rows[k]));
      return shape(back);
    });
    const single = await scenario(async (calls) => {
      const rows = [];
      for (const a of calls) {
        const { rows: r } = await pool.query(
          `SELECT * FROM tollgate_accept_payment($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb)`,
          columns([a]).map((c) => c[0]),
        );
        rows.push(r[0]);
      }
      return shape(rows);
    });
    expect(batched.answers.map((a) => a.outcome)).toEqual([
      'created', 'retry', 'nonce_conflict', 'created', 'payer_exposure', 'retry', 'already_settled', 'created', 'payer_exposure', 'created',
    ]);
    expect(batched.answers.map((a) => a.detail)).toEqual([null, null, null, null, '1000', null, 'queued', null, '9000', null]);
    expect(batched.answers).toEqual(single.answers);
    expect(batched.n).toBe(single.n);
    expect(batched.e).toBe(single.e);
  });
});

