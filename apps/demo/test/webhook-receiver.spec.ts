import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateWebhookSecret, signWebhook } from '@tollgate/webhooks';
import type { DemoSummary } from '../src/summary';
import { formatSummary } from '../src/summary-format';
import { DEMO_WEBHOOK_EVENT_TYPES, startWebhookReceiver, type DemoWebhookReceiver } from '../src/webhook-receiver';

/** Stands in for the merchant API's webhook-endpoint routes. */
async function fakeMerchantApi(answerCreate: (body: any) => { status: number; body: unknown }) {
  const calls: Array<{ method: string; url: string; auth: string; body: any }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      calls.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body });
      const a = req.method === 'POST' ? answerCreate(body) : { status: 204, body: undefined };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body === undefined ? undefined : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function deliver(url: string, secret: string, payload: { type: string; data: Record<string, unknown> }, id = `msg_${Math.random().toString(16).slice(2)}`) {
  const body = JSON.stringify({ ...payload, timestamp: new Date().toISOString() });
  return fetch(url, { method: 'POST', headers: { ...signWebhook({ id, timestamp: new Date(), body }, [secret]) }, body });
}

describe('demo webhook receiver', () => {
  const secret = generateWebhookSecret();
  let api: Awaited<ReturnType<typeof fakeMerchantApi>>;
  let receiver: DemoWebhookReceiver;

  beforeEach(async () => {
    api = await fakeMerchantApi(() => ({ status: 201, body: { id: 'ep_1', secret } }));
    receiver = await startWebhookReceiver({ apiUrl: api.url, apiKey: 'tg_demo' });
  });
  afterEach(async () => {
    await receiver.close();
    await api.close();
  });

  it('registers a loopback endpoint for every payment event with the merchant key', () => {
    expect(api.calls).toEqual([
      {
        method: 'POST',
        url: '/v1/merchant/webhook-endpoints',
        auth: 'Bearer tg_demo',
        body: { url: receiver.endpointUrl, eventTypes: [...DEMO_WEBHOOK_EVENT_TYPES], description: expect.any(String) },
      },
    ]);
    expect(receiver.endpointUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/[0-9a-f]{16}$/);
    expect(receiver.endpointId).toBe('ep_1');
  });

  it('counts verified deliveries by type and reference, answers 401 to a bad signature and ignores other paths', async () => {
    expect((await deliver(receiver.endpointUrl, secret, { type: 'payment.queued', data: { reference: 'pay_1' } })).status).toBe(204);
    expect((await deliver(receiver.endpointUrl, secret, { type: 'payment.included', data: { reference: 'pay_1' } })).status).toBe(204);
    expect((await deliver(receiver.endpointUrl, generateWebhookSecret(), { type: 'payment.confirmed', data: { reference: 'pay_1' } })).status).toBe(401);
    expect((await deliver(receiver.endpointUrl.replace(/\/webhooks\/.*/, '/webhooks/other'), secret, { type: 'payment.confirmed', data: { reference: 'pay_2' } })).status).toBe(404);

    const r = receiver.report();
    expect({ received: r.received, verified: r.verified }).toEqual({ received: 3, verified: 2 });
    expect(r.byType).toEqual({ 'payment.queued': 1, 'payment.included': 1, 'payment.confirmed': 0, 'payment.failed': 0, 'payment.reorged': 0 });
    expect([...(r.eventsByReference.get('pay_1') ?? [])]).toEqual(['payment.queued', 'payment.included']);
    expect(r.eventsByReference.has('pay_2')).toBe(false);
  });

  it('waits for an event per reference until a deadline and names the ones still missing', async () => {
    expect(await receiver.waitForEvent(['pay_1'], 'payment.confirmed', 100)).toEqual(['pay_1']);
    const waiting = receiver.waitForEvent(['pay_1'], 'payment.confirmed', 5_000);
    await deliver(receiver.endpointUrl, secret, { type: 'payment.confirmed', data: { reference: 'pay_1' } });
    expect(await waiting).toEqual([]);
  });

  it('deletes its endpoint through the merchant API once', async () => {
    await receiver.unregister();
    await receiver.unregister();
    expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/v1/merchant/webhook-endpoints/ep_1']);
  });

  it('fails with the API answer when registration is refused', async () => {
    const refusing = await fakeMerchantApi(() => ({ status: 400, body: { message: 'url: must use https', field: 'url' } }));
    try {
      await expect(startWebhookReceiver({ apiUrl: refusing.url, apiKey: 'tg_demo' })).rejects.toThrow(/HTTP 400 .*must use https/);
    } finally {
      await refusing.close();
    }
  });
});

describe('demo summary webhooks', () => {
  const base: DemoSummary = {
    ok: true,
    mode: 'deferred',
    network: 'eip155:31337',
    networks: ['eip155:31337'],
    payments: 2,
    contentServed: 2,
    verified: 2,
    settled: 2,
    included: 2,
    confirmed: 2,
    failed: 0,
    failures: {},
    batches: [],
    batchSizes: [],
    gasPerPayment: 1,
    singleTxGas: 2,
    gasSavedPercent: 50,
    inclusionP50Ms: 1,
    inclusionP95Ms: 1,
    webhooksReceived: 6,
    webhooksVerified: 6,
    webhooksByType: { 'payment.queued': 2, 'payment.included': 2, 'payment.confirmed': 2, 'payment.failed': 0, 'payment.reorged': 0 },
    confirmedWithoutWebhook: 0,
    byNetwork: {
      'eip155:31337': {
        network: 'eip155:31337',
        payments: 2,
        contentServed: 2,
        verified: 2,
        settled: 2,
        included: 2,
        confirmed: 2,
        failed: 0,
        failures: {},
        batches: [],
        batchSizes: [],
        gasPerPayment: 1,
        singleTxGas: 2,
        gasSavedPercent: 50,
        inclusionP50Ms: 1,
        inclusionP95Ms: 1,
        confirmedWithoutWebhook: 0,
      },
    },
    durationMs: 1000,
  };

  it('lists the verified types and says OK', () => {
    const text = formatSummary(base, { concurrency: 1 });
    expect(text).toContain('webhooks      6 received, 6 verified with standardwebhooks (payment.queued 2, payment.included 2, payment.confirmed 2)');
    expect(text).toMatch(/result {8}OK: .*payment\.confirmed webhook/);
  });

  it('names unverified deliveries and missing payment.confirmed webhooks in the result line', () => {
    const text = formatSummary({ ...base, ok: false, webhooksReceived: 7, webhooksVerified: 5, confirmedWithoutWebhook: 1 }, { concurrency: 1 });
    expect(text).toContain('failed        2 × webhook delivery failed signature verification');
    expect(text).toContain('failed        1 × confirmed payment whose payment.confirmed webhook never arrived');
    expect(text).toMatch(/result {8}FAILED: 2 webhook deliveries failed verification; 1 confirmed payment got no payment\.confirmed webhook/);
  });
});
