import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';

/**
 * Concurrent verifies share chain reads and ledger statements (one per event-loop turn); every merchant
 * must still see exactly the answers separate requests would get.
 */
describe('POST /verify under a burst of concurrent requests', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator();
  });
  afterAll(() => f.stop());

  it('40 distinct authorizations from 5 payers at once: all valid, each recorded once under its own reference', async () => {
    const bodies = await Promise.all(Array.from({ length: 40 }, (_, i) => f.validBody({ payerIndex: i % 5, amount: BigInt(1_000 + i) })));
    const answers = await Promise.all(bodies.map((b) => f.verify(b)));
    expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
    expect(answers.filter((a) => a.body.isValid)).toHaveLength(40);
    const references = answers.map((a) => a.body.extensions.tollgate.reference);
    expect(new Set(references).size).toBe(40);
    const rows: Array<{ reference: string; amount: string; nonce: string }> = await f.api.db.query(
      `SELECT reference, amount::text AS amount, nonce FROM payments WHERE reference = ANY($1)`,
      [references],
    );
    expect(rows).toHaveLength(40);
    for (const [i, a] of answers.entries()) {
      const row = rows.find((r) => r.reference === a.body.extensions.tollgate.reference)!;
      expect(row.amount).toBe(String(1_000 + i));
      expect(row.nonce).toBe(bodies[i].paymentPayload.payload.authorization.nonce.toLowerCase());
    }
  });

  it('the same authorization verified 6 times at once: one record, every answer names it', async () => {
    const body = await f.validBody();
    const answers = await Promise.all(Array.from({ length: 6 }, () => f.verify(body)));
    expect(answers.every((a) => a.body.isValid)).toBe(true);
    expect(new Set(answers.map((a) => a.body.extensions.tollgate.reference)).size).toBe(1);
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE nonce = $1`, [body.paymentPayload.payload.authorization.nonce.toLowerCase()]);
    expect(n).toBe(1);
  });

  it('one payer, concurrent verifies that together exceed the balance: the guard lets through only what the balance covers', async () => {
    // payers[5] holds 1,000,000 tokens; five authorizations of 300,000 each: at most three fit.
    const amount = 300_000n * 10n ** 6n;
    const bodies = await Promise.all(Array.from({ length: 5 }, () => f.validBody({ payerIndex: 5, amount })));
    const answers = await Promise.all(bodies.map((b) => f.verify(b)));
    expect(answers.filter((a) => a.body.isValid)).toHaveLength(3);
    expect(answers.filter((a) => !a.body.isValid).map((a) => a.body.invalidReason)).toEqual(['tollgate_exposure_exceeded', 'tollgate_exposure_exceeded']);
  });
});
