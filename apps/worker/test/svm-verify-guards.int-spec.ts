import { startSvmSettlement, type SvmSettlementFixture } from './svm-settlement-support';

/**
 * What `/verify` adds to the reference rules on Solana, on the litesvm devchain with the real API and
 * worker: a payment already handed to settlement (queued, or settled on chain) verifies invalid
 * (`tollgate_authorization_already_settled`) while a repeated verify of a merely verified one stays valid; and
 * the exposure guard holds under concurrent verifies that together exceed the payer's token balance.
 */
describe('Solana: verify after settle, and the exposure guard under concurrency', () => {
  let x: SvmSettlementFixture;

  beforeAll(async () => {
    x = await startSvmSettlement(3);
  });
  afterAll(async () => {
    await x?.stop();
  });

  const refOf = (res: { body: any }): string => res.body.extensions.tollgate.reference;

  it('a repeated verify of a merely verified payment stays valid, with the same reference', async () => {
    const body = await x.body({ payer: 0, amount: 1_000n });
    const first = await x.verify(body);
    expect(first.body).toMatchObject({ isValid: true, payer: x.svm.payers[0].address });
    const again = await x.verify(body);
    expect(again.body).toMatchObject({ isValid: true, payer: x.svm.payers[0].address });
    expect(refOf(again)).toBe(refOf(first));
  });

  it('verify after settle is refused, queued and then settled on chain: tollgate_authorization_already_settled', async () => {
    const body = await x.body({ payer: 1, amount: 1_500n });
    expect((await x.verify(body)).body).toMatchObject({ isValid: true });
    const ref = refOf(await x.settle(body));
    const queued = await x.verify(body);
    expect(queued.body).toMatchObject({ isValid: false, invalidReason: 'tollgate_authorization_already_settled', payer: x.svm.payers[1].address });
    expect(queued.body.invalidMessage).toMatch(/already queued/);

    const w = await x.startWorker();
    try {
      await x.waitFor([ref], 'confirmed');
    } finally {
      await w.stop();
    }
    const settled = await x.verify(body);
    expect(settled.body).toMatchObject({ isValid: false, invalidReason: 'tollgate_authorization_already_settled' });
    expect(settled.body.invalidMessage).toMatch(/already confirmed/);
    // Neither verify recorded anything new.
    expect(await x.f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE network = $1 AND amount = 1500`, [x.svm.network])).toEqual([{ n: 1 }]);
  });

  it('two concurrent verifies that together exceed the payer balance: exactly one is valid', async () => {
    const payerAta = x.svm.payers[2].tokenAccount;
    const held = x.tokens(payerAta);
    x.setTokens(payerAta, 1_000n);
    try {
      const bodies = await Promise.all([x.body({ payer: 2, amount: 600n }), x.body({ payer: 2, amount: 600n })]);
      const answers = await Promise.all(bodies.map((b) => x.verify(b)));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.filter((a) => a.body.isValid)).toHaveLength(1);
      expect(answers.find((a) => !a.body.isValid)!.body).toMatchObject({ invalidReason: 'tollgate_exposure_exceeded', payer: x.svm.payers[2].address });

      // Five more at once against what is left (400): none fits beside the first 600 but one of 400.
      const more = await Promise.all([400n, 400n, 400n, 400n, 400n].map((amount) => x.body({ payer: 2, amount })));
      const moreAnswers = await Promise.all(more.map((b) => x.verify(b)));
      expect(moreAnswers.filter((a) => a.body.isValid)).toHaveLength(1);
      expect(moreAnswers.filter((a) => !a.body.isValid).every((a) => a.body.invalidReason === 'tollgate_exposure_exceeded')).toBe(true);
      const [{ total }] = await x.f.api.db.query(`SELECT sum(amount)::text AS total FROM payments WHERE payer = $1 AND status = 'verified'`, [x.svm.payers[2].address]);
      expect(total).toBe('1000');
    } finally {
      x.setTokens(payerAta, held);
    }
  });
});
