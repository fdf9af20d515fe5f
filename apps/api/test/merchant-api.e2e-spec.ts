import { Address } from 'viem';
import { bodyV1, bodyV2, eventually, postJson, randomNonce, signAuthorization, workerConfigOf } from '@tollgate/testing';
import { SettlementWorker } from '../../worker/src';
import { MerchantsService } from '../src/merchants/merchants.service';
import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';
import { MerchantClient, merchantClient, WEBHOOK_TEST_ENV } from '@tollgate/testing';

describe('merchant API and public payment status (over HTTP)', () => {
  let f: FacilitatorFixture;
  let api: MerchantClient;
  /** A second merchant, to prove nothing of the first leaks to it. */
  let other: { id: string; apiKey: string; payTo: Address; api: MerchantClient };

  beforeAll(async () => {
    f = await startFacilitator({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '200', BATCH_TICK_MS: '50', TX_POLL_MS: '100' }, 5);
    api = merchantClient(f.api.baseUrl, f.apiKey);
    const payTo = f.api.chain.deployment.payTo[1].address;
    const created = await f.api.app.get(MerchantsService).create({ name: 'Other merchant', payTo: [payTo] });
    other = { id: created.merchant.id, apiKey: created.apiKey, payTo, api: merchantClient(f.api.baseUrl, created.apiKey) };
  });
  afterAll(() => f.stop());

  /** Settles (deferred) one payment to `payTo` from payer `payerIndex`; returns its reference. */
  async function settle(o: { payerIndex?: number; amount?: bigint; apiKey?: string; payTo?: Address } = {}): Promise<{ status: number; body: any }> {
    const d = f.api.chain.deployment;
    const payTo = o.payTo ?? f.payTo;
    const amount = o.amount ?? 10_000n;
    const payload = await signAuthorization(d, { payerKey: d.payers[o.payerIndex ?? 0].privateKey, to: payTo, value: amount, nonce: randomNonce(f.rand) });
    return postJson(`${f.api.baseUrl}/settle`, bodyV2(d, payload, { payTo, amount }), { authorization: `Bearer ${o.apiKey ?? f.apiKey}` });
  }

  describe('authentication and settings', () => {
    it('requires the merchant key on /v1/merchant/*', async () => {
      expect((await api.get('/v1/merchant', null)).status).toBe(401);
      expect((await api.get('/v1/merchant', 'tg_not-a-key')).status).toBe(401);
      const me = await api.get('/v1/merchant');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        id: f.merchantId,
        name: 'Test merchant',
        status: 'active',
        settlementPolicy: { defaultMode: 'deferred', confirmedThreshold: null, maxUnsettledExposure: null },
      });
    });

    it('lists payTo addresses, checksummed', async () => {
      const res = await api.get('/v1/merchant/pay-to');
      expect(res.body.data).toEqual([{ address: f.payTo, status: 'active', createdAt: expect.any(String), retiredAt: null }]);
    });

    it('validates a policy change and names the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ confirmedThreshold: 5000 }, 'confirmedThreshold'],
        [{ confirmedThreshold: '-1' }, 'confirmedThreshold'],
        [{ defaultMode: 'eventually' }, 'defaultMode'],
        [{ maxUnsettledExposure: '1.5' }, 'maxUnsettledExposure'],
        [{ surprise: true }, 'surprise'],
        [{}, 'body'],
        ['[1,2', 'body'],
      ];
      for (const [body, field] of cases) {
        const res = await api.patch('/v1/merchant/settlement-policy', body);
        expect({ body, status: res.status, field: res.body.field ?? null }).toEqual({ body, status: 400, field: field === 'body' && typeof body === 'string' ? null : field });
      }
    });

    it('a maximum unsettled exposure takes effect at once and refuses with tollgate_exposure_exceeded', async () => {
      const policy = await other.api.patch('/v1/merchant/settlement-policy', { maxUnsettledExposure: '25000', confirmedThreshold: null });
      expect(policy.body).toEqual({ defaultMode: 'deferred', confirmedThreshold: null, maxUnsettledExposure: '25000' });
      expect((await settle({ apiKey: other.apiKey, payTo: other.payTo, amount: 15_000n, payerIndex: 1 })).body.success).toBe(true);
      const refused = await settle({ apiKey: other.apiKey, payTo: other.payTo, amount: 15_000n, payerIndex: 2 });
      expect(refused.body).toMatchObject({ success: false, errorReason: 'tollgate_exposure_exceeded' });
      expect(refused.body.errorMessage).toMatch(/maximum unsettled exposure 25000/);
      expect((await other.api.patch('/v1/merchant/settlement-policy', { maxUnsettledExposure: null })).body.maxUnsettledExposure).toBeNull();
      expect((await settle({ apiKey: other.apiKey, payTo: other.payTo, amount: 15_000n, payerIndex: 2 })).body.success).toBe(true);
    });
  });

  describe('API keys', () => {
    it('creates keys shown once, revokes and rotates them, and never revokes the last one', async () => {
      const listed = await api.get('/v1/merchant/api-keys');
      expect(listed.body.data).toHaveLength(1);
      const original = listed.body.data[0];
      // lastUsedAt: written within about a second of this very request, so either null or a time here.
      expect(original).toEqual({ id: expect.any(String), prefix: f.apiKey.slice(0, 10), name: null, status: 'active', createdAt: expect.any(String), revokedAt: null, lastUsedAt: original.lastUsedAt });
      expect(JSON.stringify(listed.body)).not.toContain(f.apiKey);

      const created = await api.post('/v1/merchant/api-keys');
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^tg_/);
      expect(created.body.prefix).toBe(created.body.secret.slice(0, 10));
      const second = merchantClient(f.api.baseUrl, created.body.secret);
      expect((await second.get('/v1/merchant')).status).toBe(200);

      // Revoke the key this process has just cached: refused on the very next request.
      const revoked = await second.del(`/v1/merchant/api-keys/${original.id}`);
      expect(revoked.body).toMatchObject({ id: original.id, status: 'revoked' });
      expect((await api.get('/v1/merchant')).status).toBe(401);
      expect((await second.del(`/v1/merchant/api-keys/${original.id}`)).status).toBe(200);

      const last = await second.del(`/v1/merchant/api-keys/${created.body.id}`);
      expect(last.status).toBe(409);
      expect(last.body.message).toMatch(/last active API key/);

      const rotated = await second.post(`/v1/merchant/api-keys/${created.body.id}/rotate`);
      expect(rotated.status).toBe(201);
      expect(rotated.body.replaced).toMatchObject({ id: created.body.id, status: 'revoked' });
      expect((await second.get('/v1/merchant')).status).toBe(401);
      api = merchantClient(f.api.baseUrl, rotated.body.secret);
      f.apiKey = rotated.body.secret;
      expect((await api.get('/v1/merchant')).status).toBe(200);
      expect((await api.get('/v1/merchant/api-keys')).body.data.map((k: { status: string }) => k.status).sort()).toEqual(['active', 'revoked', 'revoked']);

      expect((await api.del('/v1/merchant/api-keys/not-a-uuid')).body).toMatchObject({ statusCode: 400, field: 'id' });
      expect((await other.api.del(`/v1/merchant/api-keys/${rotated.body.id}`)).status).toBe(404);
      expect((await api.post(`/v1/merchant/api-keys/${created.body.id}/rotate`)).status).toBe(409);
    });
  });

  describe('webhook endpoints', () => {
    it('validates registration and names the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ eventTypes: ['payment.queued'] }, 'url'],
        [{ url: 'http://hooks.example.com/x', eventTypes: ['payment.queued'] }, 'url'],
        [{ url: 'https://user:pw@hooks.example.com/x', eventTypes: ['payment.queued'] }, 'url'],
        [{ url: 'https://127.0.0.1/x', eventTypes: [] }, 'eventTypes'],
        [{ url: 'https://127.0.0.1/x', eventTypes: ['payment.settled'] }, 'eventTypes.0'],
        [{ url: 'https://127.0.0.1/x', eventTypes: ['payment.queued'], secret: 'mine' }, 'secret'],
      ];
      for (const [body, field] of cases) {
        const res = await api.post('/v1/merchant/webhook-endpoints', body);
        expect({ body, status: res.status, field: res.body.field }).toEqual({ body, status: 400, field });
      }
    });

    it('subscribes to every event with "*" or no list, to settlement.* per batch, and names a bad event type', async () => {
      const all = await api.post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/all' });
      expect(all.body.eventTypes).toEqual(['*']);
      expect((await api.get(`/v1/merchant/webhook-endpoints/${all.body.id}`)).body.eventTypes).toEqual(['*']);
      const bad = await api.patch(`/v1/merchant/webhook-endpoints/${all.body.id}`, { eventTypes: ['settlement.included', 'settlement.settled'] });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ field: 'eventTypes.1', message: expect.stringContaining('"settlement.settled" is not a webhook event type') });
      const batched = await api.patch(`/v1/merchant/webhook-endpoints/${all.body.id}`, { eventTypes: ['settlement.included', 'settlement.confirmed'] });
      expect(batched.body.eventTypes).toEqual(['settlement.included', 'settlement.confirmed']);
      const star = await api.patch(`/v1/merchant/webhook-endpoints/${all.body.id}`, { eventTypes: ['payment.queued', '*'] });
      expect(star.body.eventTypes).toEqual(['*']);
      expect((await api.del(`/v1/merchant/webhook-endpoints/${all.body.id}`)).status).toBe(204);
    });

    it('creates (secret shown once), reads, updates, rotates, test-sends and deletes; another merchant sees none of it', async () => {
      const created = await api.post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', eventTypes: ['payment.queued', 'payment.queued'], description: 'orders' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: 'http://127.0.0.1:9/hook', eventTypes: ['payment.queued'], status: 'active', description: 'orders', secret: expect.stringMatching(/^whsec_/) });
      const id = created.body.id;
      const stored = await f.api.db.query(`SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1`, [id]);
      expect(stored[0].secret_ciphertext).not.toContain(created.body.secret.slice(6));

      const read = await api.get(`/v1/merchant/webhook-endpoints/${id}`);
      expect(read.body).not.toHaveProperty('secret');
      expect((await api.get('/v1/merchant/webhook-endpoints')).body.data.map((e: { id: string }) => e.id)).toContain(id);

      const patched = await api.patch(`/v1/merchant/webhook-endpoints/${id}`, { eventTypes: ['payment.confirmed', 'webhook_endpoint.disabled'], description: null });
      expect(patched.body).toMatchObject({ eventTypes: ['payment.confirmed', 'webhook_endpoint.disabled'], description: null });
      expect((await api.patch(`/v1/merchant/webhook-endpoints/${id}`, { enabled: 'yes' })).body.field).toBe('enabled');
      const disabled = await api.patch(`/v1/merchant/webhook-endpoints/${id}`, { enabled: false });
      expect(disabled.body).toMatchObject({ status: 'disabled', disabledReason: 'disabled by the merchant' });

      expect((await api.post(`/v1/merchant/webhook-endpoints/${id}/rotate-secret`, { overlapSeconds: -1 })).body.field).toBe('overlapSeconds');
      const rotated = await api.post(`/v1/merchant/webhook-endpoints/${id}/rotate-secret`, {});
      expect(rotated.body.secret).not.toBe(created.body.secret);
      expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_000_000);

      const test = await api.post(`/v1/merchant/webhook-endpoints/${id}/test`);
      expect(test.status).toBe(202);
      const deliveries = await api.get(`/v1/merchant/webhook-endpoints/${id}/deliveries`);
      expect(deliveries.body.data).toEqual([expect.objectContaining({ id: test.body.deliveryId, eventType: 'webhook.test', status: 'pending', messageId: expect.stringMatching(/^msg_/) })]);
      const one = await api.get(`/v1/merchant/webhook-endpoints/${id}/deliveries/${test.body.deliveryId}`);
      expect(one.body.payload).toMatchObject({ type: 'webhook.test', data: { endpointId: id } });
      expect((await api.post(`/v1/merchant/webhook-endpoints/${id}/deliveries/${test.body.deliveryId}/replay`)).status).toBe(409);
      expect((await api.post(`/v1/merchant/webhook-endpoints/${id}/replay`, { until: new Date().toISOString() })).body.field).toBe('since');
      expect(
        (await api.post(`/v1/merchant/webhook-endpoints/${id}/replay`, { since: new Date().toISOString(), until: new Date(Date.now() - 1000).toISOString() })).body.field,
      ).toBe('until');
      expect((await api.get(`/v1/merchant/webhook-endpoints/${id}/deliveries?limit=0`)).body.field).toBe('limit');
      expect((await api.get(`/v1/merchant/webhook-endpoints/${id}/deliveries?cursor=bm9wZQ`)).body.field).toBe('cursor');

      // Another merchant: the same ids answer exactly like ids that do not exist.
      for (const path of [`/v1/merchant/webhook-endpoints/${id}`, `/v1/merchant/webhook-endpoints/${id}/deliveries`, `/v1/merchant/webhook-endpoints/${id}/deliveries/${test.body.deliveryId}`]) {
        expect((await other.api.get(path)).status).toBe(404);
      }
      expect((await other.api.post(`/v1/merchant/webhook-endpoints/${id}/test`)).status).toBe(404);
      expect((await other.api.patch(`/v1/merchant/webhook-endpoints/${id}`, { enabled: true })).status).toBe(404);
      expect((await other.api.del(`/v1/merchant/webhook-endpoints/${id}`)).status).toBe(404);
      expect((await other.api.get('/v1/merchant/webhook-endpoints')).body.data).toEqual([]);

      expect((await api.del(`/v1/merchant/webhook-endpoints/${id}`)).status).toBe(204);
      expect((await api.get(`/v1/merchant/webhook-endpoints/${id}`)).status).toBe(404);
      const [row] = await f.api.db.query(`SELECT status, last_error FROM webhook_deliveries WHERE id = $1`, [test.body.deliveryId]);
      expect(row).toEqual({ status: 'failed', last_error: 'endpoint deleted' });
    });
  });

  describe('payments', () => {
    const refs: string[] = [];
    let startedAt: string;

    beforeAll(async () => {
      startedAt = new Date(Date.now() - 1000).toISOString();
      for (const payerIndex of [0, 1, 0, 2, 0]) {
        const res = await settle({ payerIndex, amount: 1_000n + BigInt(refs.length) });
        expect(res.body.success).toBe(true);
        refs.push(res.body.extensions.tollgate.reference);
      }
    });

    it('lists newest first with filters, and pages with an opaque cursor without gaps or repeats', async () => {
      const d = f.api.chain.deployment;
      const all = await api.get(`/v1/merchant/payments?since=${encodeURIComponent(startedAt)}`);
      expect(all.body.data.map((p: { reference: string }) => p.reference)).toEqual([...refs].reverse());
      expect(all.body.nextCursor).toBeNull();
      expect(all.body.data[0]).toMatchObject({ status: 'queued', network: d.network, asset: d.token.address, payTo: f.payTo, amount: '1004', amountDecimal: '0.001004', transaction: null });

      const byPayer = await api.get(`/v1/merchant/payments?payer=${d.payers[0].address.toLowerCase()}&since=${encodeURIComponent(startedAt)}`);
      expect(byPayer.body.data.map((p: { reference: string }) => p.reference)).toEqual([refs[4], refs[2], refs[0]]);
      const byStatus = await api.get(`/v1/merchant/payments?status=confirmed,failed&since=${encodeURIComponent(startedAt)}`);
      expect(byStatus.body.data).toEqual([]);
      expect((await api.get(`/v1/merchant/payments?network=eip155:1&status=queued`)).body.data).toEqual([]);
      expect((await api.get(`/v1/merchant/payments?until=${encodeURIComponent(startedAt)}`)).body.data.map((p: { reference: string }) => p.reference)).not.toContain(refs[0]);

      const paged: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page: { body: { data: Array<{ reference: string }>; nextCursor: string | null } } = await api.get(
          `/v1/merchant/payments?limit=2&status=queued&since=${encodeURIComponent(startedAt)}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        paged.push(...page.body.data.map((p) => p.reference));
        cursor = page.body.nextCursor;
        if (!cursor) break;
      }
      expect(paged).toEqual([...refs].reverse());
    });

    it('validates filters and names the field', async () => {
      for (const [query, field] of [
        ['status=settled', 'status.0'],
        ['payer=0x123', 'payer'],
        ['network=base', 'network'],
        ['since=yesterday', 'since'],
        ['limit=500', 'limit'],
        ['cursor=%5B%5D', 'cursor'],
        ['sort=asc', 'sort'],
      ]) {
        const res = await api.get(`/v1/merchant/payments?${query}`);
        expect({ query, status: res.status, field: res.body.field }).toEqual({ query, status: 400, field });
      }
    });

    it('shows one payment with its history; another merchant gets 404', async () => {
      const res = await api.get(`/v1/merchant/payments/${refs[0]}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ reference: refs[0], status: 'queued', settlementMode: 'deferred', batch: null, confirmations: null, logIndex: null, attempts: 0 });
      expect(res.body.events.map((e: { from: string | null; to: string }) => [e.from, e.to])).toEqual([
        [null, 'verified'],
        ['verified', 'queued'],
      ]);
      expect((await other.api.get(`/v1/merchant/payments/${refs[0]}`)).status).toBe(404);
      expect((await other.api.get('/v1/merchant/payments')).body.data.map((p: { reference: string }) => p.reference)).not.toContain(refs[0]);
      expect((await api.get('/v1/merchant/payments/pay_doesnotexist000000000')).status).toBe(404);
      expect((await api.get('/v1/merchant/payments/0xabc')).body).toMatchObject({ statusCode: 400, field: 'reference' });
    });

    it('public status by reference: no key, only status, network and (once included) the transaction', async () => {
      const res = await fetch(`${f.api.baseUrl}/v1/payments/${refs[1]}/status`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ reference: refs[1], status: 'queued', network: f.api.chain.deployment.network, transaction: null });
      expect((await fetch(`${f.api.baseUrl}/v1/payments/pay_doesnotexist000000000/status`)).status).toBe(404);
      const bad = await fetch(`${f.api.baseUrl}/v1/payments/nope/status`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ field: 'reference' });
    });

    it('keeps the paid resource URL (v1 requirements.resource, v2 resource.url) and shows it; an identical settle repeat still matches', async () => {
      const d = f.api.chain.deployment;
      const sign = async (amount: bigint) => signAuthorization(d, { payerKey: d.payers[1].privateKey, to: f.payTo, value: amount, nonce: randomNonce(f.rand) });
      const v2 = bodyV2(d, await sign(2_002n), { payTo: f.payTo, amount: 2_002n });
      v2.paymentPayload.resource.url = 'https://shop.example/v2/report?id=7';
      const v1 = bodyV1(d, await sign(1_001n), { payTo: f.payTo, amount: 1_001n, network: 'anvil' });
      v1.paymentRequirements.resource = 'https://shop.example/v1/article';
      const auth = { authorization: `Bearer ${f.apiKey}` };
      for (const [body, url] of [[v2, 'https://shop.example/v2/report?id=7'], [v1, 'https://shop.example/v1/article']] as const) {
        const res = await postJson(`${f.api.baseUrl}/settle`, body, auth);
        expect(res.body.success).toBe(true);
        const ref: string = res.body.extensions.tollgate.reference;
        refs.push(ref);
        expect((await api.get(`/v1/merchant/payments/${ref}`)).body).toMatchObject({ reference: ref, resource: url });
        expect((await api.get(`/v1/merchant/payments?since=${encodeURIComponent(startedAt)}`)).body.data.find((p: { reference: string }) => p.reference === ref)).toMatchObject({ resource: url });
        const repeat = await postJson(`${f.api.baseUrl}/settle`, body, auth);
        expect(repeat.body).toMatchObject({ success: true, extensions: { tollgate: { reference: ref } } });
      }
    });

    it('once settled: transaction hash, log index, block, confirmations from the chain head, batch and full history', async () => {
      const worker = await SettlementWorker.start(workerConfigOf(f.api), { concurrency: 4 });
      try {
        await eventually(
          'the payments to confirm',
          async () => (await api.get(`/v1/merchant/payments?status=confirmed&since=${encodeURIComponent(startedAt)}`)).body.data.length === refs.length,
          30_000,
        );
        const res = await api.get(`/v1/merchant/payments/${refs[0]}`);
        expect(res.body).toMatchObject({
          status: 'confirmed',
          transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
          logIndex: expect.any(Number),
          blockNumber: expect.stringMatching(/^\d+$/),
          blockHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
          batch: { id: expect.any(String), status: 'confirmed' },
        });
        expect(res.body.confirmations).toBeGreaterThanOrEqual(1);
        expect(res.body.events.map((e: { to: string }) => e.to)).toEqual(['verified', 'queued', 'batched', 'submitted', 'included', 'confirmed']);
        const pub: unknown = await (await fetch(`${f.api.baseUrl}/v1/payments/${refs[0]}/status`)).json();
        expect(pub).toEqual({ reference: refs[0], status: 'confirmed', network: f.api.chain.deployment.network, transaction: res.body.transaction });
      } finally {
        await worker.stop();
      }
    });
  });
});
