import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { PaymentLedger } from '@tollgate/persistence';
import { QueueName, redisConnection, JobName } from '@tollgate/queue';
import { eventually, ReceivedWebhook, Responder, startWebhookReceiver, WebhookReceiver } from '@tollgate/testing';
import { MerchantClient, merchantClient, WEBHOOK_TEST_ENV } from '@tollgate/testing';
import { WebhookWorker } from '../src/webhook-worker';
import { SettlementFixture, startSettlement } from '@tollgate/testing';

const PAYMENT_EVENTS = ['payment.queued', 'payment.included', 'payment.confirmed', 'payment.failed', 'payment.reorged'];

describe('merchant webhooks (real Postgres, Redis, anvil and HTTP receivers)', () => {
  let f: SettlementFixture;
  let webhooks: WebhookWorker;
  let api: MerchantClient;
  let ledger: PaymentLedger;
  const receivers: WebhookReceiver[] = [];
  /** What the worker reported per attempt (the worker's metrics count these). */
  const attempts: Array<{ outcome: string; deliveryId: string }> = [];
  const onAttempt = (outcome: string, deliveryId: string) => void attempts.push({ outcome, deliveryId });

  beforeAll(async () => {
    f = await startSettlement({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '200' }, 11);
    await f.startWorker();
    webhooks = await WebhookWorker.start(f.api.config, { concurrency: 8, onAttempt });
    api = merchantClient(f.api.baseUrl, f.apiKey);
    ledger = new PaymentLedger(f.api.db);
  });

  afterEach(async () => {
    // Endpoints of one test must not receive the next test's events.
    const list = await api.get('/v1/merchant/webhook-endpoints');
    for (const e of list.body.data) await api.del(`/v1/merchant/webhook-endpoints/${e.id}`);
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await webhooks?.stop();
    await f?.stop();
  });

  async function receiverWithEndpoint(eventTypes: string[], respond?: Responder) {
    const receiver = await startWebhookReceiver({ respond });
    receivers.push(receiver);
    const created = await api.post('/v1/merchant/webhook-endpoints', { url: receiver.url, eventTypes, description: 'test receiver' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    receiver.secrets.push(created.body.secret);
    return { receiver, endpoint: created.body as { id: string; secret: string } };
  }

  async function settleOne(amount = 10_000n): Promise<string> {
    const { body } = await f.sign({ amount });
    const res = await f.settle(body);
    expect(res.body.success).toBe(true);
    return res.body.extensions.tollgate.reference;
  }

  async function deliveriesOf(ref: string): Promise<Array<{ event_type: string; n: number }>> {
    return f.api.db.query(
      `SELECT d.event_type, count(*)::int AS n FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id
        WHERE p.reference = $1 AND d.replay_of IS NULL GROUP BY d.event_type ORDER BY d.event_type`,
      [ref],
    );
  }

  async function pauseLane(paused: boolean): Promise<void> {
    const d = f.api.chain.deployment;
    await f.api.db.query(
      `INSERT INTO lanes (network, asset, paused) VALUES ($1, $2, $3) ON CONFLICT (network, asset) DO UPDATE SET paused = $3, updated_at = now()`,
      [d.network, d.token.address.toLowerCase(), paused],
    );
  }

  const ofType = (type: string) => (r: ReceivedWebhook) => r.payload?.type === type;

  /** Receivers answer before the attempt is recorded: waits until no delivery of the payment is pending. */
  async function deliveriesSettled(ref: string): Promise<void> {
    await eventually(`deliveries of ${ref} to finish`, async () => {
      const [{ n }] = await f.api.db.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id WHERE p.reference = $1 AND d.status = 'pending'`,
        [ref],
      );
      return n === 0;
    });
  }

  it('signs one delivery per state change of a settled payment; standardwebhooks verifies each, payloads carry the facts', async () => {
    const { receiver } = await receiverWithEndpoint(PAYMENT_EVENTS);
    const ref = await settleOne(12_345n);
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    const got = await receiver.waitFor('queued, included and confirmed', (rs) => ['payment.queued', 'payment.included', 'payment.confirmed'].every((t) => rs.some(ofType(t))));
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.verifiedBy).toEqual([0]);
      expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Number(r.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(3);
    const d = f.api.chain.deployment;
    const row = await f.statusOf(ref);
    const included = got.find(ofType('payment.included'))!.payload;
    expect(included.data).toMatchObject({
      reference: ref,
      status: 'included',
      previousStatus: 'submitted',
      network: d.network,
      asset: d.token.address,
      payer: d.payers[0].address,
      payTo: f.payTo,
      amount: '12345',
      amountDecimal: (12_345 / 10 ** d.token.decimals).toString(),
      transaction: row.tx_hash,
      logIndex: row.log_index,
    });
    expect(included.data.logIndex).toEqual(expect.any(Number));
    expect(got.find(ofType('payment.queued'))!.payload.data).toMatchObject({ reference: ref, status: 'queued', transaction: null, logIndex: null });
    expect(got.find(ofType('payment.confirmed'))!.payload.data).toMatchObject({ status: 'confirmed', transaction: row.tx_hash, logIndex: row.log_index });

    await deliveriesSettled(ref);
    // The same jobs again: the tracker re-tracks the confirmed batch, the ledger replays a transition,
    // the delivery job runs a second time. Nothing new is emitted or sent.
    await f.worker!.tracker.track(row.batch_id!);
    const [{ id: paymentId }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [ref]);
    expect(await ledger.transition([paymentId], 'included', 'confirmed', { patch: { confirmed_at: new Date() } })).toEqual([]);
    const [delivered] = await f.api.db.query(
      `SELECT d.id FROM webhook_deliveries d WHERE d.payment_id = $1 AND d.event_type = 'payment.confirmed'`,
      [paymentId],
    );
    expect(await webhooks.service.deliver(delivered.id)).toEqual({ kind: 'skipped', status: 'succeeded' });
    expect(await deliveriesOf(ref)).toEqual([
      { event_type: 'payment.confirmed', n: 1 },
      { event_type: 'payment.included', n: 1 },
      { event_type: 'payment.queued', n: 1 },
    ]);
    const [{ n: attempts }] = await f.api.db.query(`SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.payment_id = $1`, [paymentId]);
    expect(attempts).toBe(3);
    expect(receiver.received).toHaveLength(3);
  });

  it('emits payment.reorged and payment.failed from the ledger, once each, with the state at the time of the change', async () => {
    const { receiver } = await receiverWithEndpoint(['payment.included', 'payment.reorged', 'payment.failed']);
    await pauseLane(true);
    try {
      const ref = await settleOne();
      const [{ id }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [ref]);
      const tx = `0x${'ab'.repeat(32)}`;
      const include = () =>
        ledger.transition([id], 'queued', 'included', {
          reason: 'settled_by_earlier_transaction',
          patch: { tx_hash: tx, log_index: 7, block_number: '123', block_hash: `0x${'cd'.repeat(32)}`, included_at: new Date() },
        });
      const reorg = () =>
        ledger.transition([id], 'included', 'queued', {
          reason: 'reorged',
          detail: { txHash: tx, blockNumber: '123' },
          patch: { tx_hash: null, log_index: null, block_number: null, block_hash: null, included_at: null },
          incrementAttempts: true,
        });
      const fail = () =>
        ledger.transition([id], 'queued', 'failed', { reason: 'tollgate_voided', patch: { failure_reason: 'tollgate_voided', failure_message: 'voided in a test' } });
      expect(await include()).toEqual([id]);
      expect(await reorg()).toEqual([id]);
      expect(await fail()).toEqual([id]);
      // Replayed jobs: nothing moves, nothing is emitted.
      expect(await include()).toEqual([]);
      expect(await reorg()).toEqual([]);
      expect(await fail()).toEqual([]);

      const got = await receiver.waitFor('included, reorged, failed', (rs) => rs.length >= 3);
      const byType = Object.fromEntries(got.map((r) => [r.payload.type, r.payload.data]));
      expect(byType['payment.included']).toMatchObject({ status: 'included', transaction: tx, logIndex: 7, blockNumber: '123' });
      expect(byType['payment.reorged']).toMatchObject({ status: 'queued', reason: 'reorged', transaction: null, reorgedTransaction: tx, reorgedBlockNumber: '123' });
      expect(byType['payment.failed']).toMatchObject({ status: 'failed', previousStatus: 'queued', failureReason: 'tollgate_voided', failureMessage: 'voided in a test' });
      expect(got.every((r) => r.verifiedBy.length === 1)).toBe(true);
      expect(await deliveriesOf(ref)).toEqual([
        { event_type: 'payment.failed', n: 1 },
        { event_type: 'payment.included', n: 1 },
        { event_type: 'payment.reorged', n: 1 },
      ]);
    } finally {
      await pauseLane(false);
    }
  });

  it('a receiver that fails the first attempts gets the event later, on the schedule and after its Retry-After', async () => {
    let calls = 0;
    const { receiver } = await receiverWithEndpoint(['payment.queued'], () => {
      calls++;
      if (calls === 1) return { status: 503, headers: { 'retry-after': '1' }, body: 'x'.repeat(3000) };
      if (calls === 2) return { status: 500, body: 'still down' };
      return { status: 204 };
    });
    const ref = await settleOne();
    const got = await receiver.waitFor('a third, successful attempt', (rs) => rs.some((r) => r.status === 204));
    expect(got.map((r) => r.status)).toEqual([503, 500, 204]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    expect(got.every((r) => r.verifiedBy.length === 1 && r.payload.data.reference === ref)).toBe(true);
    // Retry-After: 1 outweighs the 200 ms step; then the 400 ms step. (Small slack for timer granularity.)
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(950);
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(380);
    await deliveriesSettled(ref);

    const [delivery] = await f.api.db.query(
      `SELECT d.id, d.status, d.attempt_count FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id WHERE p.reference = $1 AND d.event_type = 'payment.queued'`,
      [ref],
    );
    expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 3 });
    expect(attempts.filter((x) => x.deliveryId === delivery.id).map((x) => x.outcome)).toEqual(['retrying', 'retrying', 'succeeded']);
    // The API's gauge reads only the pending rows; this one is finished.
    const metrics = await (await fetch(`${f.api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_webhook_deliveries_pending \d+$/m);
    const detail = await api.get(`/v1/merchant/webhook-endpoints/${(await api.get('/v1/merchant/webhook-endpoints')).body.data[0].id}/deliveries/${delivery.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 500, 204]);
    expect(detail.body.attempts[0].responseBody).toHaveLength(1024);
    expect(detail.body.attempts[0].error).toBe('HTTP 503');
    expect(detail.body.attempts.every((a: { latencyMs: number }) => a.latencyMs >= 0)).toBe(true);
    expect(detail.body.payload).toEqual(got[2].payload);
  });

  it('a receiver down for the whole window is disabled and the merchant is told; fixed, re-enabled, a range replay delivers what failed', async () => {
    const { receiver: watcher } = await receiverWithEndpoint(['webhook_endpoint.disabled']);
    const { receiver: down, endpoint } = await receiverWithEndpoint(['payment.queued'], () => ({ status: 500, body: 'down' }));
    const since = new Date(Date.now() - 1000).toISOString();
    const ref = await settleOne();

    const notice = await watcher.waitFor('webhook_endpoint.disabled', (rs) => rs.some(ofType('webhook_endpoint.disabled')));
    expect(notice[0].verifiedBy).toEqual([0]);
    expect(notice[0].payload.data).toMatchObject({ endpointId: endpoint.id, url: down.url });
    expect(down.received.length).toBeGreaterThanOrEqual(2);
    const seen = await api.get(`/v1/merchant/webhook-endpoints/${endpoint.id}`);
    expect(seen.body).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('HTTP 500'), failingSince: expect.any(String) });
    const [delivery] = await f.api.db.query(
      `SELECT d.id, d.status, d.message_id FROM webhook_deliveries d JOIN payments p ON p.id = d.payment_id WHERE p.reference = $1 AND d.endpoint_id = $2`,
      [ref, endpoint.id],
    );
    expect(delivery.status).toBe('failed');

    // Disabled: new events are not even written for it.
    const later = await settleOne();
    await eventually('the later payment to be queued', async () => (await deliveriesOf(later)).length === 0 && (await f.statusOf(later)).status !== 'verified');
    expect((await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/replay`, { since })).status).toBe(409);

    down.respond(() => ({ status: 200 }));
    const before = down.received.length;
    const enabled = await api.patch(`/v1/merchant/webhook-endpoints/${endpoint.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null, failingSince: null });
    const replay = await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/replay`, { since });
    expect(replay.status).toBe(202);
    expect(replay.body.replayed).toBe(1);
    const again = await down.waitFor('the replayed delivery', (rs) => rs.length > before && rs[rs.length - 1].status === 200);
    const last = again[again.length - 1];
    expect(last.verifiedBy).toEqual([0]);
    expect(last.headers['webhook-id']).toBe(delivery.message_id);
    expect(last.payload.data.reference).toBe(ref);
  });

  it('replays one delivery on demand with the same webhook-id and body', async () => {
    const { receiver, endpoint } = await receiverWithEndpoint(['payment.queued']);
    await settleOne();
    const [first] = await receiver.waitFor('the original', (rs) => rs.length === 1);
    const list = await api.get(`/v1/merchant/webhook-endpoints/${endpoint.id}/deliveries`);
    expect(list.body.data).toHaveLength(1);
    const replay = await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/deliveries/${list.body.data[0].id}/replay`);
    expect(replay.status).toBe(202);
    const got = await receiver.waitFor('the replay', (rs) => rs.length === 2);
    expect(got[1].headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(got[1].body).toBe(first.body);
    expect(got[1].verifiedBy).toEqual([0]);
    const after = await eventually('both deliveries to be recorded', async () => {
      const r = await api.get(`/v1/merchant/webhook-endpoints/${endpoint.id}/deliveries?status=succeeded`);
      return r.body.data.length === 2 ? r : undefined;
    });
    // The replay shares the original's event time; listing order between them is by id.
    expect(after.body.data.map((d: { replayOf: string | null }) => d.replayOf).sort()).toEqual([list.body.data[0].id, null].sort());
  });

  it('secret rotation: during the overlap old and new secrets both verify; without overlap only the newest', async () => {
    const { receiver, endpoint } = await receiverWithEndpoint(['payment.queued']);
    const rotated = await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 3500_000);
    receiver.secrets.push(rotated.body.secret);
    expect((await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/test`)).status).toBe(202);
    const [during] = await receiver.waitFor('a test event', (rs) => rs.length === 1);
    expect(during.payload).toMatchObject({ type: 'webhook.test', data: { endpointId: endpoint.id } });
    expect(during.verifiedBy).toEqual([0, 1]);
    expect(new Webhook(endpoint.secret).verify(during.body, during.headers)).toMatchObject({ type: 'webhook.test' });

    const again = await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlapSeconds: 0 });
    expect(again.body.previousSecretExpiresAt).toBeNull();
    receiver.secrets.push(again.body.secret);
    await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/test`);
    const [, after] = await receiver.waitFor('a second test event', (rs) => rs.length === 2);
    expect(after.verifiedBy).toEqual([2]);
  });

  it('a job that runs before its attempt is due goes back to the queue until then: no early attempt', async () => {
    const { receiver, endpoint } = await receiverWithEndpoint(['payment.queued']);
    const t0 = Date.now();
    // job_enqueued_at set: the relay leaves it alone, so only the early job below can deliver it.
    const [{ id }] = await f.api.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot, next_attempt_at, job_enqueued_at)
       VALUES ($1, $2, 'webhook.test', 'msg_early', now(), $3::jsonb, now() + interval '800 milliseconds', now()) RETURNING id`,
      [endpoint.id, f.merchantId, JSON.stringify({ endpointId: endpoint.id, message: 'early' })],
    );
    await webhooks.queues.add(JobName.WebhookDeliver, { deliveryId: id });
    const [got] = await receiver.waitFor('the delivery', (rs) => rs.length === 1);
    expect(got.at - t0).toBeGreaterThanOrEqual(750);
    expect(got.headers['webhook-id']).toBe('msg_early');
    expect(got.verifiedBy).toEqual([0]);
  });

  it('Postgres is the truth: a delivery whose job vanished with Redis is found and sent by the sweeper', async () => {
    const { receiver, endpoint } = await receiverWithEndpoint(['payment.queued']);
    await webhooks.stop();
    const sent = await api.post(`/v1/merchant/webhook-endpoints/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    const connection = redisConnection(f.api.config.redisUrl, 'worker');
    const queue = new Queue(QueueName.Webhooks, { connection, prefix: f.api.config.queuePrefix });
    try {
      expect(await queue.getJobCountByTypes('wait', 'delayed', 'prioritized')).toBe(1);
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
    webhooks = await WebhookWorker.start(f.api.config, { concurrency: 8, onAttempt });
    const [got] = await receiver.waitFor('the recovered delivery', (rs) => rs.length === 1, 20_000);
    expect(got.payload.type).toBe('webhook.test');
    // The receiver answers before the attempt is recorded.
    const row = await eventually('the attempt to be recorded', async () => {
      const [r] = await f.api.db.query(`SELECT status, attempt_count FROM webhook_deliveries WHERE id = $1`, [sent.body.deliveryId]);
      return r.status === 'pending' ? undefined : r;
    });
    expect(row).toEqual({ status: 'succeeded', attempt_count: 1 });
  });
});
