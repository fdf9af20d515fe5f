import { getAddress } from 'viem';
import { Webhook } from 'standardwebhooks';
import {
  bodyV2,
  eventually,
  merchantClient,
  postJson,
  randomNonce,
  ReceivedWebhook,
  SettlementFixture,
  signAuthorization,
  startSettlement,
  startWebhookReceiver,
  testApps,
  WEBHOOK_TEST_ENV,
  WebhookReceiver,
} from '@tollgate/testing';
import { WebhookWorker } from '../src/webhook-worker';

/**
 * Per-batch webhooks (issue #16): an endpoint subscribed to `settlement.*` gets one delivery per batch
 * statement listing its merchant's payments, not one per payment; another merchant's payments in the same
 * batch go to that merchant only.
 */
describe('settlement.* webhooks (real Postgres, Redis, anvil and HTTP receivers)', () => {
  let f: SettlementFixture;
  let webhooks: WebhookWorker;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    f = await startSettlement({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '300' }, 16);
    webhooks = await WebhookWorker.start(f.api.config, { concurrency: 4 });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await webhooks?.stop();
    await f?.stop();
  });

  async function endpoint(apiKey: string, eventTypes: string[] | undefined) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await merchantClient(f.api.baseUrl, apiKey).post('/v1/merchant/webhook-endpoints', { url: receiver.url, ...(eventTypes ? { eventTypes } : {}) });
    expect(created.status).toBe(201);
    receiver.secrets.push(created.body.secret);
    return { receiver, id: created.body.id as string, secret: created.body.secret as string, eventTypes: created.body.eventTypes as string[] };
  }

  it('one signed delivery per batch for N payments of the merchant, without the other merchant’s payments', async () => {
    const d = f.api.chain.deployment;
    const other = await testApps().createMerchant(f.api.app, { name: 'Other merchant', payTo: [d.payTo[1].address] });
    const mine = await endpoint(f.apiKey, ['settlement.included', 'settlement.confirmed']);
    const theirs = await endpoint(other.apiKey, undefined);
    expect(theirs.eventTypes).toEqual(['*']);

    // Everything is queued before the worker starts, so the batcher puts it all in one batch.
    const N = 5;
    const refs: string[] = [];
    for (let i = 0; i < N; i++) {
      const { body } = await f.sign({ payerIndex: i % 2, amount: BigInt(1000 + i) });
      const res = await f.settle(body);
      expect(res.body.success).toBe(true);
      refs.push(res.body.extensions.tollgate.reference);
    }
    const otherRefs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const payTo = d.payTo[1].address;
      const payload = await signAuthorization(d, { payerKey: d.payers[2].privateKey, to: payTo, value: 7000n, nonce: randomNonce(f.rand) });
      const res = await postJson(`${f.api.baseUrl}/settle`, bodyV2(d, payload, { payTo, amount: 7000n }), { authorization: `Bearer ${other.apiKey}` });
      expect(res.body.success).toBe(true);
      otherRefs.push(res.body.extensions.tollgate.reference);
    }
    await f.startWorker();
    await f.waitForStatuses([...refs, ...otherRefs], (s) => s.every((x) => x === 'confirmed'), 60_000);
    const batches = await f.api.db.query(`SELECT DISTINCT batch_id, tx_hash, block_number::text FROM payments WHERE reference = ANY($1)`, [[...refs, ...otherRefs]]);
    expect(batches).toHaveLength(1);
    const [{ batch_id: batchId, tx_hash: txHash, block_number: blockNumber }] = batches;

    const isType = (t: string) => (r: ReceivedWebhook) => r.payload?.type === t;
    const got = await mine.receiver.waitFor('settlement.included and settlement.confirmed', (rs) => rs.some(isType('settlement.included')) && rs.some(isType('settlement.confirmed')));
    await eventually('no delivery of the endpoint pending', async () => {
      const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, [mine.id]);
      return n === 0;
    });
    // Exactly two requests for N payments: no per-payment events, no second delivery per batch.
    expect(mine.receiver.received.map((r) => r.payload.type).sort()).toEqual(['settlement.confirmed', 'settlement.included']);
    const [{ n: rows }] = await f.api.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`, [mine.id]);
    expect(rows).toBe(2);
    for (const r of got) {
      expect(r.verifiedBy).toEqual([0]);
      expect(() => new Webhook(mine.secret).verify(r.body, r.headers)).not.toThrow();
    }
    const included = got.find(isType('settlement.included'))!.payload.data;
    expect(included).toMatchObject({
      batchId,
      status: 'included',
      network: d.network,
      asset: d.token.address,
      transaction: txHash,
      blockNumber,
      count: N,
      amount: String(Array.from({ length: N }, (_, i) => 1000 + i).reduce((a, b) => a + b, 0)),
    });
    expect(included.payments.map((p: { reference: string }) => p.reference).sort()).toEqual([...refs].sort());
    const payments = await f.api.db.query(`SELECT reference, payer, nonce, amount::text, log_index FROM payments WHERE reference = ANY($1)`, [refs]);
    for (const p of payments) {
      expect(included.payments.find((x: { reference: string }) => x.reference === p.reference)).toEqual({
        reference: p.reference,
        payer: getAddress(p.payer),
        payTo: f.payTo,
        asset: d.token.address,
        amount: p.amount,
        nonce: p.nonce,
        network: d.network,
        transaction: txHash,
        logIndex: p.log_index,
        blockNumber,
      });
    }
    const confirmed = got.find(isType('settlement.confirmed'))!.payload.data;
    expect(confirmed).toMatchObject({ batchId, status: 'confirmed', count: N });
    expect(confirmed.payments.map((p: { reference: string }) => p.reference).sort()).toEqual([...refs].sort());

    // The other merchant ("*": every event) hears of its own payments only, per batch and per payment.
    const theirGot = await theirs.receiver.waitFor('their settlement events', (rs) => rs.some(isType('settlement.included')) && rs.some(isType('settlement.confirmed')));
    for (const t of ['settlement.included', 'settlement.confirmed']) {
      const data = theirGot.find(isType(t))!.payload.data;
      expect(data.payments.map((p: { reference: string }) => p.reference).sort()).toEqual([...otherRefs].sort());
      expect(data.payments.every((p: { payTo: string }) => p.payTo === d.payTo[1].address)).toBe(true);
    }
    await theirs.receiver.waitFor('their per-payment events', (rs) => rs.filter(isType('payment.confirmed')).length === otherRefs.length);

    // The merchant API shows the delivery with the body it sends.
    const api = merchantClient(f.api.baseUrl, f.apiKey);
    const list = await api.get(`/v1/merchant/webhook-endpoints/${mine.id}/deliveries`);
    const delivery = list.body.data.find((x: { eventType: string }) => x.eventType === 'settlement.included');
    const detail = await api.get(`/v1/merchant/webhook-endpoints/${mine.id}/deliveries/${delivery.id}`);
    expect(detail.body.payload).toEqual(got.find(isType('settlement.included'))!.payload);
  });
});
