import { runCli } from './cli-process';
import { Address, getAddress } from 'viem';
import { bodyV2, eventually, postJson, randomNonce, signAuthorization, workerConfigOf } from '@tollgate/testing';
import { FacilitatorFixture, MerchantClient, merchantClient, startFacilitator, WEBHOOK_TEST_ENV } from '@tollgate/testing';
import { SettlementWorker } from '../../worker/src';
import { MerchantsService } from '../src/merchants/merchants.service';

const SOLANA = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
/** payTo addresses beyond the devchain's three (deferred settles need no key behind them). */
const EXPORTER_PAY_TO = getAddress(`0x${'a1'.repeat(20)}`);
const CLI_PAY_TO = getAddress(`0x${'b2'.repeat(20)}`);

/** Merchant self-service over HTTP: payTo addresses, key labels and last use, CSV export, daily totals; and the CLI. */
describe('merchant self-service', () => {
  let f: FacilitatorFixture;
  let api: MerchantClient;

  beforeAll(async () => {
    f = await startFacilitator({ ...WEBHOOK_TEST_ENV, BATCH_MAX_WAIT_MS: '200', BATCH_TICK_MS: '50', TX_POLL_MS: '100' }, 17);
    api = merchantClient(f.api.baseUrl, f.apiKey);
  });
  afterAll(() => f.stop());

  async function pay(o: { payTo?: Address; amount?: bigint; payerIndex?: number; op?: 'verify' | 'settle' } = {}): Promise<{ status: number; body: any }> {
    const d = f.api.chain.deployment;
    const payTo = o.payTo ?? f.payTo;
    const amount = o.amount ?? 10_000n;
    const payload = await signAuthorization(d, { payerKey: d.payers[o.payerIndex ?? 0].privateKey, to: payTo, value: amount, nonce: randomNonce(f.rand) });
    return postJson(`${f.api.baseUrl}/${o.op ?? 'settle'}`, bodyV2(d, payload, { payTo, amount }), { authorization: `Bearer ${f.apiKey}` });
  }

  describe('payTo addresses', () => {
    it('adds an EVM address (checksummed back, 200 when already active) and a Solana address (case kept)', async () => {
      const evm = f.api.chain.deployment.payTo[2].address;
      const added = await api.post('/v1/merchant/pay-to', { address: evm.toLowerCase() });
      expect(added.status).toBe(201);
      expect(added.body).toEqual({ address: getAddress(evm), status: 'active', createdAt: expect.any(String), retiredAt: null });
      expect((await api.post('/v1/merchant/pay-to', { address: evm })).status).toBe(200);
      const sol = await api.post('/v1/merchant/pay-to', { address: SOLANA });
      expect(sol.status).toBe(201);
      expect(sol.body.address).toBe(SOLANA);
      const list = await api.get('/v1/merchant/pay-to');
      expect(list.body.data.map((a: { address: string }) => a.address)).toEqual(expect.arrayContaining([f.payTo, getAddress(evm), SOLANA]));
    });

    it('refuses malformed addresses and unknown fields (400 naming the field), and another merchant’s address (409)', async () => {
      const cases: Array<[unknown, string]> = [
        [{ address: '0x123' }, 'address'],
        [{ address: SOLANA.toLowerCase().replace(/l/g, '') }, 'address'],
        [{ address: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGk' }, 'address'],
        [{ address: 42 }, 'address'],
        [{}, 'address'],
        [{ address: SOLANA, label: 'x' }, 'label'],
      ];
      for (const [body, field] of cases) {
        const res = await api.post('/v1/merchant/pay-to', body);
        expect({ body, status: res.status, field: res.body.field }).toEqual({ body, status: 400, field });
      }
      const other = await f.api.app.get(MerchantsService).create({ name: 'Other', payTo: [f.api.chain.deployment.payTo[1].address] });
      const taken = await api.post('/v1/merchant/pay-to', { address: f.api.chain.deployment.payTo[1].address });
      expect(taken.status).toBe(409);
      expect((await merchantClient(f.api.baseUrl, other.apiKey).del(`/v1/merchant/pay-to/${f.payTo}`)).status).toBe(404);
    });

    it('retires an address: new verifies to it are refused at once, a payment already queued still settles, history stays; re-adding brings it back', async () => {
      const address = f.api.chain.deployment.payTo[2].address;
      const queued = await pay({ payTo: address, payerIndex: 1 });
      expect(queued.body.success).toBe(true);
      const retired = await api.del(`/v1/merchant/pay-to/${address}`);
      expect(retired.status).toBe(200);
      expect(retired.body).toMatchObject({ address: getAddress(address), status: 'retired', retiredAt: expect.any(String) });
      expect((await api.del(`/v1/merchant/pay-to/${address.toLowerCase()}`)).body.status).toBe('retired'); // idempotent
      const refused = await pay({ payTo: address, payerIndex: 1, op: 'verify' });
      expect(refused.body).toMatchObject({ isValid: false, invalidReason: 'tollgate_pay_to_not_owned' });

      const worker = await SettlementWorker.start(workerConfigOf(f.api), { concurrency: 2 });
      try {
        const reference: string = queued.body.extensions.tollgate.reference;
        await eventually('the retired address’s queued payment is confirmed', async () => (await api.get(`/v1/merchant/payments/${reference}`)).body.status === 'confirmed');
      } finally {
        await worker.stop();
      }
      expect((await api.get(`/v1/merchant/payments?payTo=${address}`)).body.data).toHaveLength(1);

      expect((await api.post('/v1/merchant/pay-to', { address })).status).toBe(201);
      expect((await pay({ payTo: address, payerIndex: 1, op: 'verify' })).body.isValid).toBe(true);
    });

    it('retiring: 400 for a malformed address, 404 for one the merchant does not own', async () => {
      const bad = await api.del('/v1/merchant/pay-to/0xnothex');
      expect({ status: bad.status, field: bad.body.field }).toEqual({ status: 400, field: 'address' });
      expect((await api.del(`/v1/merchant/pay-to/0x${'7'.repeat(40)}`)).status).toBe(404);
    });
  });

  describe('API keys', () => {
    it('stores the label given at creation, keeps it through rotation, and refuses a bad one', async () => {
      const created = await api.post('/v1/merchant/api-keys', { name: 'production' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'production', lastUsedAt: null });
      const rotated = await api.post(`/v1/merchant/api-keys/${created.body.id}/rotate`);
      expect(rotated.body).toMatchObject({ name: 'production', replaced: { id: created.body.id, status: 'revoked' } });
      expect((await api.post('/v1/merchant/api-keys')).body.name).toBeNull();
      for (const name of ['', ' ', 'x'.repeat(101), 7]) {
        const res = await api.post('/v1/merchant/api-keys', { name });
        expect({ name, status: res.status, field: res.body.field }).toEqual({ name, status: 400, field: 'name' });
      }
    });

    it('records when a key was last used, writing at most once a minute', async () => {
      const created = await api.post('/v1/merchant/api-keys', { name: 'usage' });
      const key = merchantClient(f.api.baseUrl, created.body.secret);
      expect((await key.get('/v1/merchant')).status).toBe(200);
      const readLastUsed = async () => (await api.get('/v1/merchant/api-keys')).body.data.find((k: { id: string }) => k.id === created.body.id).lastUsedAt;
      const first: string = await eventually('last-used time written', readLastUsed, 10_000);
      for (let i = 0; i < 5; i++) await key.get('/v1/merchant');
      await new Promise((r) => setTimeout(r, 1500)); // longer than the flush delay: a second write would have landed
      expect(await readLastUsed()).toBe(first);
    });
  });

  describe('CSV export and daily totals', () => {
    let other: { api: MerchantClient };
    beforeAll(async () => {
      const created = await f.api.app.get(MerchantsService).create({ name: 'Exporter', payTo: [EXPORTER_PAY_TO] });
      other = { api: merchantClient(f.api.baseUrl, created.apiKey) };
      const d = f.api.chain.deployment;
      for (const [i, amount] of [12_345n, 20_000n, 30_000n].entries()) {
        const payTo = EXPORTER_PAY_TO;
        const payload = await signAuthorization(d, { payerKey: d.payers[2 + i].privateKey, to: payTo, value: amount, nonce: randomNonce(f.rand) });
        const res = await postJson(`${f.api.baseUrl}/settle`, bodyV2(d, payload, { payTo, amount }), { authorization: `Bearer ${created.apiKey}` });
        expect(res.body.success).toBe(true);
      }
    });

    it('exports the merchant’s payments as CSV with the listing’s filters', async () => {
      expect((await other.api.get('/v1/merchant/payments.csv', null)).status).toBe(401);
      const csv = await other.api.get('/v1/merchant/payments.csv');
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (csv.body as string).split('\r\n');
      expect(lines[0]).toBe('reference,status,settlementMode,network,asset,payer,payTo,amount,amountDecimal,transaction,failureReason,createdAt,updatedAt,resource');
      expect(lines.at(-1)).toBe('');
      const rows = lines.slice(1, -1).map((l) => l.split(','));
      expect(rows.map((r) => r[7])).toEqual(['30000', '20000', '12345']); // newest first, atomic units
      expect(rows.every((r) => r[1] === 'queued' && r[6] === EXPORTER_PAY_TO)).toBe(true);
      expect(rows.map((r) => r[13])).toEqual(Array(3).fill('http://127.0.0.1/paid')); // the paid resource (v2 resource.url)
      const filtered = await other.api.get(`/v1/merchant/payments.csv?payer=${f.api.chain.deployment.payers[3].address}`);
      expect((filtered.body as string).split('\r\n').slice(1, -1)).toHaveLength(1);
      expect(((await other.api.get('/v1/merchant/payments.csv?status=failed')).body as string).split('\r\n')).toHaveLength(2);
    });

    it('CSV: 400 for a bad filter, naming it (limit and cursor are the list’s only)', async () => {
      for (const [q, field] of [['payer=0x12', 'payer'], ['status=lost', 'status.0'], ['since=yesterday', 'since'], ['limit=5', 'limit']]) {
        const res = await other.api.get(`/v1/merchant/payments.csv?${q}`);
        expect({ q, status: res.status, field: res.body.field }).toEqual({ q, status: 400, field });
      }
    });

    it('totals per UTC day and asset, in atomic units as strings', async () => {
      const now = new Date();
      const from = new Date(now.getTime() - 86_400_000).toISOString();
      const to = new Date(now.getTime() + 86_400_000).toISOString();
      const res = await other.api.get(`/v1/merchant/payments/daily-totals?from=${from}&to=${to}`);
      expect(res.status).toBe(200);
      const d = f.api.chain.deployment;
      expect(res.body.data).toEqual([
        { day: now.toISOString().slice(0, 10), network: d.network, asset: getAddress(d.token.address), count: 3, amount: '62345', confirmedCount: 0, confirmedAmount: '0' },
      ]);
      const empty = await other.api.get(`/v1/merchant/payments/daily-totals?from=${to}&to=${new Date(now.getTime() + 2 * 86_400_000).toISOString()}`);
      expect(empty.body.data).toEqual([]);
    });

    it('daily totals: 400 for a missing, malformed or reversed range, or one over 366 days', async () => {
      const cases: Array<[string, string]> = [
        ['to=2026-01-02T00:00:00Z', 'from'],
        ['from=2026-01-01', 'from'],
        ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
        ['from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
        ['from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&asset=x', 'asset'],
      ];
      for (const [q, field] of cases) {
        const res = await other.api.get(`/v1/merchant/payments/daily-totals?${q}`);
        expect({ q, status: res.status, field: res.body.field }).toEqual({ q, status: 400, field });
      }
    });
  });

  describe('CLI (npm run merchant)', () => {
    const cli = async (args: string[]) => {
      const r = await runCli('merchant', args, { DATABASE_URL: f.api.config.databaseUrl });
      return { status: r.status, out: r.stdout + r.stderr };
    };

    it('pay-to add / retire and rate-limit change the merchant; webhooks lists endpoints with their subscriptions; bad input is a usage error', async () => {
      const address = CLI_PAY_TO;
      expect(await cli(['pay-to', 'add', '--merchant', f.merchantId, '--address', address])).toMatchObject({ status: 0, out: expect.stringContaining('added') });
      expect(await cli(['pay-to', 'retire', '--merchant', f.merchantId, '--address', address])).toMatchObject({ status: 0, out: expect.stringContaining('retired') });
      const [row] = await f.api.db.query(`SELECT retired_at FROM merchant_pay_to WHERE address = $1`, [address.toLowerCase()]);
      expect(row.retired_at).not.toBeNull();
      expect(await cli(['rate-limit', '--merchant', f.merchantId, '--per-second', '25'])).toMatchObject({ status: 0 });
      expect((await api.get('/v1/merchant')).body.rateLimitPerSecond).toBe(25);
      expect((await cli(['rate-limit', '--merchant', f.merchantId, '--per-second', 'default'])).status).toBe(0);
      expect(await cli(['pay-to', 'add', '--merchant', f.merchantId, '--address', '0x12'])).toMatchObject({ status: 64, out: expect.stringContaining('--address') });
      const all = await api.post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/all' });
      const batched = await api.post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/batches', eventTypes: ['settlement.included', 'settlement.confirmed'] });
      const listed = await cli(['webhooks', '--merchant', f.merchantId]);
      expect(listed).toMatchObject({ status: 0, out: expect.stringContaining(`${all.body.id}\tactive\thttp://127.0.0.1:9/all\tevery event (*)`) });
      expect(listed.out).toContain(`${batched.body.id}\tactive\thttp://127.0.0.1:9/batches\tsettlement.included,settlement.confirmed`);
      // Seven CLI processes, each booting ts-node: on a loaded 2-core machine that alone can take minutes.
    }, 300_000);

    it('create accepts base58 Solana payTo addresses beside EVM ones, under the rules of POST /v1/merchant/pay-to', async () => {
      const solana = '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU';
      const evm = getAddress(`0x${'c3'.repeat(20)}`);
      const made = await cli(['create', '--name', 'CLI Solana merchant', '--pay-to', `${solana},${evm}`, '--json']);
      expect(made.status).toBe(0);
      const created = JSON.parse(made.out.split('\n').find((l) => l.startsWith('{'))!);
      expect(created.payTo).toEqual([solana, evm]);
      // Stored as the self-service endpoint stores them: Solana exactly as given, EVM lower-case.
      const rows = await f.api.db.query(`SELECT address FROM merchant_pay_to WHERE merchant_id = $1 ORDER BY address`, [created.merchantId]);
      expect(rows.map((r: { address: string }) => r.address).sort()).toEqual([evm.toLowerCase(), solana].sort());
      const own = merchantClient(f.api.baseUrl, created.apiKey);
      expect((await own.post('/v1/merchant/pay-to', { address: solana })).status).toBe(200); // already active: the same address
      const bad = await cli(['create', '--name', 'x', '--pay-to', `${solana},${solana.slice(0, 20)}0OIl`]);
      expect(bad).toMatchObject({ status: 64, out: expect.stringContaining('Solana address (base58 of 32 bytes)') });
    }, 300_000);
  });
});
