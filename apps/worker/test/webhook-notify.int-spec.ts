import { startWebhookReceiver, WebhookReceiver } from '@tollgate/testing';
import { merchantClient, WEBHOOK_TEST_ENV } from '@tollgate/testing';
import { WebhookWorker } from '../src/webhook-worker';
import { SettlementFixture, startSettlement } from '@tollgate/testing';

/**
 * Deliveries written by the settlement worker's transitions reach the merchant when Postgres notifies the
 * webhook worker at commit, not at the relay's next periodic pass — here an hour away, so any delivery that
 * arrives within the test's deadline came through the notification (no clock assertion needed).
 */
describe('webhook outbox notifications', () => {
  let f: SettlementFixture;
  let webhooks: WebhookWorker;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    f = await startSettlement({ ...WEBHOOK_TEST_ENV, WEBHOOK_SWEEP_INTERVAL_MS: '3600000', BATCH_MAX_WAIT_MS: '200' }, 13);
    await f.startWorker();
    webhooks = await WebhookWorker.start(f.api.config, { concurrency: 4 });
    receiver = await startWebhookReceiver();
    const created = await merchantClient(f.api.baseUrl, f.apiKey).post('/v1/merchant/webhook-endpoints', {
      url: receiver.url,
      eventTypes: ['payment.included', 'payment.confirmed'],
    });
    expect(created.status).toBe(201);
    receiver.secrets.push(created.body.secret);
  });
  afterAll(async () => {
    await receiver?.close();
    await webhooks?.stop();
    await f?.stop();
  });

  it('payment.included and payment.confirmed arrive after the transitions without waiting for the hourly relay pass', async () => {
    const { body } = await f.sign({ amount: 7_000n });
    const settled = await f.settle(body);
    expect(settled.body.success).toBe(true);
    const ref = settled.body.extensions.tollgate.reference;
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    const got = await receiver.waitFor(
      'included and confirmed',
      (rs) => ['payment.included', 'payment.confirmed'].every((t) => rs.some((r) => r.payload?.type === t)),
      30_000,
    );
    expect(got.every((r) => r.verifiedBy?.length === 1)).toBe(true);
  });

  it('a lost LISTEN connection is re-opened, and deliveries committed meanwhile are relayed on reconnect', async () => {
    await f.api.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tollgate-webhooks-listen' AND datname = current_database()`);
    const before = receiver.received.length;
    const { body } = await f.sign({ amount: 8_000n, payerIndex: 1 });
    const settled = await f.settle(body);
    const ref = settled.body.extensions.tollgate.reference;
    await f.waitForStatuses([ref], (s) => s[0] === 'confirmed');
    await receiver.waitFor('the second payment confirmed', (rs) => rs.slice(before).some((r) => r.payload?.type === 'payment.confirmed'), 30_000);
  });
});
