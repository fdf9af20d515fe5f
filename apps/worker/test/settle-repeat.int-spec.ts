import { startSettlement, SettlementFixture } from '@tollgate/testing';

/**
 * An identical repeat of a settle the merchant already made (its answer was lost: API killed, network cut)
 * must be told the truth — success with the payment's reference and current status — in every settlement
 * mode and with or without a payment-identifier; anything not identical is still refused.
 */
describe('repeated /settle of a payment already handed over', () => {
  let f: SettlementFixture;

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '200', CONFIRMED_SETTLE_TIMEOUT_MS: '15000' }, 23);
  });
  afterAll(() => f.stop());

  async function confirmed(ref: string): Promise<string> {
    if (!f.worker) await f.startWorker();
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    return (await f.statusOf(ref)).tx_hash!;
  }

  it('deferred, no payment-identifier: success with the reference while queued, and with the transaction once confirmed', async () => {
    await f.stopWorker();
    const { body } = await f.sign({ payerIndex: 0, amount: 4_000n });
    const first = await f.settle(body);
    expect(first.body).toMatchObject({ success: true, extensions: { tollgate: { status: 'queued' } } });
    const ref = first.body.extensions.tollgate.reference;

    const whileQueued = await f.settle(body);
    expect(whileQueued.status).toBe(200);
    expect(whileQueued.body).toMatchObject({ success: true, transaction: '', amount: '4000', extensions: { tollgate: { reference: ref, status: 'queued', settlementMode: 'deferred' } } });

    const tx = await confirmed(ref);
    const afterConfirmation = await f.settle(body);
    expect(afterConfirmation.body).toMatchObject({ success: true, transaction: tx, extensions: { tollgate: { reference: ref, status: 'confirmed' } } });
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE reference = $1 OR nonce = $2`, [ref, body.paymentPayload.payload.authorization.nonce]);
    expect(n).toBe(1);
  });

  it('with a payment-identifier the repeated answer follows the payment to confirmed', async () => {
    const { payload } = await f.sign({ payerIndex: 1, amount: 5_000n });
    const { bodyV2 } = await import('@tollgate/testing');
    const body = bodyV2(f.api.chain.deployment, payload, { payTo: f.payTo, amount: 5_000n, paymentIdentifier: 'order_repeat_0001_abcdef' });
    const first = await f.settle(body);
    expect(first.body.success).toBe(true);
    const ref = first.body.extensions.tollgate.reference;
    const tx = await confirmed(ref);
    const again = await f.settle(body);
    expect(again.body).toMatchObject({ success: true, transaction: tx, extensions: { tollgate: { reference: ref, status: 'confirmed' } } });
  });

  it('confirmed mode: a repeat long after the wait ended still answers success with the transaction', async () => {
    if (!f.worker) await f.startWorker();
    const { body } = await f.sign({ payerIndex: 2, amount: 6_000n });
    const first = await f.settle(body, { 'x-tollgate-settlement-mode': 'confirmed' });
    expect(first.body.success).toBe(true);
    const ref = first.body.extensions.tollgate.reference;
    const tx = await confirmed(ref);
    // Past the confirmed-mode resume window (twice the wait) the repeat is still the same payment.
    await f.api.db.query(`UPDATE payments SET queued_at = now() - interval '1 hour' WHERE reference = $1`, [ref]);
    const again = await f.settle(body, { 'x-tollgate-settlement-mode': 'confirmed' });
    expect(again.body).toMatchObject({ success: true, transaction: tx, extensions: { tollgate: { reference: ref, status: 'confirmed' } } });
    const deferredRepeat = await f.settle(body);
    expect(deferredRepeat.body).toMatchObject({ success: true, transaction: tx, extensions: { tollgate: { reference: ref, status: 'confirmed' } } });
  });

  it('requirements that differ, or a changed signed field, are still refused — queued and confirmed alike', async () => {
    await f.stopWorker();
    const { body } = await f.sign({ payerIndex: 3, amount: 7_000n });
    expect((await f.settle(body)).body.success).toBe(true);
    const otherRequirements = structuredClone(body);
    otherRequirements.paymentRequirements.maxTimeoutSeconds = 60;
    otherRequirements.paymentPayload.accepted.maxTimeoutSeconds = 60;
    const otherValidBefore = structuredClone(body);
    otherValidBefore.paymentPayload.payload.authorization.validBefore = String(BigInt(body.paymentPayload.payload.authorization.validBefore) - 1n);
    for (const changed of [otherRequirements, otherValidBefore]) {
      const res = await f.settle(changed);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(false);
    }
    const ref = (await f.settle(body)).body.extensions.tollgate.reference;
    await confirmed(ref);
    for (const changed of [otherRequirements, otherValidBefore]) {
      const res = await f.settle(changed);
      expect(res.body.success).toBe(false);
    }
  });

  it('another merchant presenting the same payload is refused', async () => {
    const { MerchantsService } = await import('../../api/src');
    const other = await f.api.app.get(MerchantsService).create({ name: 'Other merchant', payTo: [f.api.chain.deployment.payTo[1].address] });
    const { body } = await f.sign({ payerIndex: 4, amount: 8_000n });
    expect((await f.settle(body)).body.success).toBe(true);
    const { postJson } = await import('@tollgate/testing');
    const res = await postJson(`${f.api.baseUrl}/settle`, body, { authorization: `Bearer ${other.apiKey}` });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(false);
  });
});
