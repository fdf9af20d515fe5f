import { PaymentLedger, type RecentAuthorization } from '@tollgate/persistence';
import { JobQueues, QueueName } from '@tollgate/queue';
import { eventually, executeOnChain, FacilitatorFixture, startFacilitator } from '@tollgate/testing';
import type { Pool } from 'pg';
import { ACCEPT_POOL } from '../src/core.module';

/**
 * SETTLE_REVERIFY_AFTER_SECONDS: a deferred settle of the very authorization the merchant verified moments
 * ago is queued on that verify (no chain reads); anything older or different is verified in full.
 */
describe('POST /settle after a recent verify', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator({ SETTLE_REVERIFY_AFTER_SECONDS: '2' });
  });
  afterAll(() => f.stop());

  const eventsOf = (reference: string) =>
    f.api.db.query(
      `SELECT e.from_status, e.to_status FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1 ORDER BY e.id`,
      [reference],
    );

  /** The authorization a verified body carries, as the settle shortcut matches it. */
  const asRecent = (body: any): RecentAuthorization => {
    const a = body.paymentPayload.payload.authorization;
    return {
      network: body.paymentRequirements.network,
      asset: body.paymentRequirements.asset.toLowerCase(),
      payer: a.from.toLowerCase(),
      payTo: a.to.toLowerCase(),
      value: BigInt(a.value),
      validAfter: BigInt(a.validAfter),
      validBefore: BigInt(a.validBefore),
      nonce: a.nonce.toLowerCase(),
      signature: body.paymentPayload.payload.signature.toLowerCase(),
    };
  };

  it('a verified payment is on disk before /verify answers: the accept connections commit synchronously', async () => {
    // Issue #16 "keep full durability": until round 2 the accept pool ran with synchronous_commit = off.
    const pool = f.api.app.get<Pool>(ACCEPT_POOL);
    const { rows } = await pool.query(`SHOW synchronous_commit`);
    expect(rows[0].synchronous_commit).toBe('on');
  });

  it('queues the verified payment under the reference the verify returned, in one transition', async () => {
    const body = await f.validBody({ amount: 12_345n });
    const verified = await f.verify(body);
    expect(verified.body.isValid).toBe(true);
    const settled = await f.settle(body);
    expect(settled.body).toMatchObject({
      success: true,
      transaction: '',
      amount: '12345',
      payer: f.api.chain.deployment.payers[0].address,
      extensions: { tollgate: { reference: verified.body.extensions.tollgate.reference, status: 'queued', settlementMode: 'deferred' } },
    });
    expect(await eventsOf(verified.body.extensions.tollgate.reference)).toEqual([
      { from_status: null, to_status: 'verified' },
      { from_status: 'verified', to_status: 'queued' },
    ]);
    // The identical repeat is the same payment (its first answer may have been lost).
    expect((await f.settle(body)).body).toMatchObject({ success: true, extensions: { tollgate: { reference: verified.body.extensions.tollgate.reference, status: 'queued' } } });
  });

  it('within the window the chain is not read again: an authorization used elsewhere meanwhile is still queued (the batch simulation drops it later)', async () => {
    const body = await f.validBody();
    expect((await f.verify(body)).body.isValid).toBe(true);
    await executeOnChain(f.api, body);
    const settled = await f.settle(body);
    expect(settled.body).toMatchObject({ success: true, extensions: { tollgate: { status: 'queued' } } });
  });

  it('after the window the settle verifies in full and sees the nonce used on chain', async () => {
    const body = await f.validBody();
    const verified = await f.verify(body);
    expect(verified.body.isValid).toBe(true);
    await executeOnChain(f.api, body);
    // Let the verify fall out of the 2 s window by ageing it, rather than waiting for the clock.
    await f.api.db.query(`UPDATE payments SET created_at = created_at - interval '1 minute' WHERE reference = $1`, [verified.body.extensions.tollgate.reference]);
    const settled = await f.settle(body);
    expect(settled.body).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_nonce_already_used', transaction: '' });
  });

  it('a settle that differs from the verified authorization in a signed field is verified in full', async () => {
    const body = await f.validBody();
    expect((await f.verify(body)).body.isValid).toBe(true);
    const tampered = structuredClone(body);
    const sig: string = tampered.paymentPayload.payload.signature;
    tampered.paymentPayload.payload.signature = `${sig.slice(0, 10)}${sig[10] === 'a' ? 'b' : 'a'}${sig.slice(11)}`;
    const settled = await f.settle(tampered);
    expect(settled.body).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_signature' });
    // The genuine one still settles.
    expect((await f.settle(body)).body.success).toBe(true);
  });

  it('a settle whose requirements name another token domain is verified in full and refused', async () => {
    const body = await f.validBody();
    expect((await f.verify(body)).body.isValid).toBe(true);
    const other = structuredClone(body);
    other.paymentRequirements.extra = { ...other.paymentRequirements.extra, name: 'Not The Token' };
    other.paymentPayload.accepted.extra = { ...other.paymentPayload.accepted.extra, name: 'Not The Token' };
    const settled = await f.settle(other);
    expect(settled.body).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_token_name_mismatch' });
  });

  it('a burst of settles on one lane nudges the worker with a handful of jobs, each listing its payments', async () => {
    const queue = f.api.app.get(JobQueues).queue(QueueName.Settlement);
    const bodies = await Promise.all(Array.from({ length: 30 }, (_, i) => f.validBody({ payerIndex: i % 5 })));
    await Promise.all(bodies.map((b) => f.verify(b)));
    const settled = await Promise.all(bodies.map((b) => f.settle(b)));
    expect(settled.every((s) => s.body.success)).toBe(true);
    const ids: Array<{ id: string }> = await f.api.db.query(`SELECT id FROM payments WHERE reference = ANY($1)`, [
      settled.map((s) => s.body.extensions.tollgate.reference),
    ]);
    const mine = new Set(ids.map((r) => r.id));
    // The queue is shared with the file's other tests, whose nudges may land at any time: look only at the
    // nudges that list this burst's payments, until every one of them is listed (nudges are sent after the answer).
    const nudges = await eventually('a nudge listing every settled payment', async () => {
      const jobs = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed'])).filter(
        (j) => j.name === 'payment-queued' && (j.data.paymentIds as string[]).some((id) => mine.has(id)),
      );
      const listed = new Set(jobs.flatMap((j) => j.data.paymentIds as string[]));
      return [...mine].every((id) => listed.has(id)) && jobs;
    });
    expect(nudges.length).toBeGreaterThanOrEqual(1);
    // How many nudges a burst makes depends on how the requests spread over event-loop turns (a busy machine
    // spreads them); that they are gathered per lane and turn is lane-nudger.service.spec's subject.
    // Each payment is listed once: a burst does not nudge the same payment twice.
    const listed = nudges.flatMap((j) => (j.data.paymentIds as string[]).filter((id) => mine.has(id)));
    expect(listed).toHaveLength(mine.size);
  });

  it('shortcut settles of one turn share statements, yet each call gets its own payment, or none when a signed field differs', async () => {
    const bodies = await Promise.all(Array.from({ length: 9 }, (_, i) => f.validBody({ payerIndex: i % 3, amount: BigInt(20_000 + i) })));
    const verified = await Promise.all(bodies.map((b) => f.verify(b)));
    expect(verified.every((v) => v.body.isValid)).toBe(true);
    const calls = bodies.map(asRecent);
    calls[4] = { ...calls[4], value: calls[4].value + 1n }; // a signed field that differs from the verify
    const ledger = f.api.app.get(PaymentLedger);
    const opts = (i: number) => ({ merchantId: f.merchantId, maxAgeSeconds: 60, windowSeconds: 30, mode: i === 7 ? ('confirmed' as const) : ('deferred' as const) });
    // All in one turn: the loader answers them from shared statements (one per mode and chunk): the eight
    // deferred calls in one, the lone confirmed-mode call in another. Each statement is its own transaction,
    // so the rows it moved carry one transaction id (xmin) — what Postgres itself records; a failing shared
    // statement retried call by call would leave one transaction per payment.
    const moved = await Promise.all(calls.map((c, i) => ledger.queueRecentlyVerified(c, opts(i))));
    const transactions: Array<{ payments: number }> = await f.api.db.query(
      `SELECT count(*)::int AS payments FROM payments WHERE reference = ANY($1) AND status = 'queued' GROUP BY xmin::text ORDER BY 1`,
      [verified.map((v) => v.body.extensions.tollgate.reference)],
    );
    expect(transactions.map((t) => t.payments)).toEqual([1, 7]);
    moved.forEach((m, i) => {
      if (i === 4) expect(m).toBeUndefined();
      else expect(m?.reference).toBe(verified[i].body.extensions.tollgate.reference);
    });
    const rows: Array<{ reference: string; status: string; settlement_mode: string | null }> = await f.api.db.query(
      `SELECT reference, status, settlement_mode FROM payments WHERE reference = ANY($1)`,
      [verified.map((v) => v.body.extensions.tollgate.reference)],
    );
    const byRef = new Map(rows.map((r) => [r.reference, r]));
    verified.forEach((v, i) => {
      const row = byRef.get(v.body.extensions.tollgate.reference)!;
      expect(row.status).toBe(i === 4 ? 'verified' : 'queued');
      if (i !== 4) expect(row.settlement_mode).toBe(i === 7 ? 'confirmed' : 'deferred');
    });
    for (const i of [0, 7, 8]) {
      expect(await eventsOf(verified[i].body.extensions.tollgate.reference)).toEqual([
        { from_status: null, to_status: 'verified' },
        { from_status: 'verified', to_status: 'queued' },
      ]);
    }
    // The same calls again move nothing: every row already left `verified`.
    expect(await Promise.all(calls.map((c, i) => ledger.queueRecentlyVerified(c, opts(i))))).toEqual(calls.map(() => undefined));
  });
  it('settles arriving while two shortcut statements wait share the next statement (one commit, not one each)', async () => {
    const bodies = await Promise.all(Array.from({ length: 12 }, (_, i) => f.validBody({ payerIndex: i % 3, amount: BigInt(30_000 + i) })));
    const verified = await Promise.all(bodies.map((b) => f.verify(b)));
    expect(verified.every((v) => v.body.isValid)).toBe(true);
    const refs = verified.map((v) => v.body.extensions.tollgate.reference as string);
    const calls = bodies.map(asRecent);
    const ledger = f.api.app.get(PaymentLedger);
    const opts = { merchantId: f.merchantId, maxAgeSeconds: 60, windowSeconds: 30, mode: 'deferred' as const };
    const other = await f.api.app.get<Pool>(ACCEPT_POOL).connect();
    try {
      // Another transaction holds the first two payments' rows: the statements carrying them (one per turn) wait.
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM payments WHERE reference = ANY($1) FOR UPDATE`, [refs.slice(0, 2)]);
      const first: Array<Promise<unknown>> = [];
      for (const c of calls.slice(0, 2)) {
        first.push(ledger.queueRecentlyVerified(c, opts));
        await new Promise((r) => setImmediate(r));
      }
      await eventually('both statements waiting on the held rows', async () => {
        const { rows } = await other.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`);
        return rows[0].n >= 2;
      });
      // Ten more, one per event-loop turn: each turn used to be a statement and a commit of its own.
      const later: Array<Promise<unknown>> = [];
      for (const c of calls.slice(2)) {
        later.push(ledger.queueRecentlyVerified(c, opts));
        await new Promise((r) => setImmediate(r));
      }
      await other.query('COMMIT');
      const moved = (await Promise.all([...first, ...later])) as Array<{ reference: string } | undefined>;
      expect(moved.map((m) => m?.reference)).toEqual(refs);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
    }
    const transactions: Array<{ payments: number }> = await f.api.db.query(
      `SELECT count(*)::int AS payments FROM payments WHERE reference = ANY($1) AND status = 'queued' GROUP BY xmin::text ORDER BY 1`,
      [refs.slice(2)],
    );
    expect(transactions).toEqual([{ payments: 10 }]);
    for (const ref of refs) {
      expect(await eventsOf(ref)).toEqual([
        { from_status: null, to_status: 'verified' },
        { from_status: 'verified', to_status: 'queued' },
      ]);
    }
  });
});
