import fc from 'fast-check';
import { ChainClients } from '@tollgate/evm';
import { publishRelayers } from '@tollgate/settlement';
import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';

describe('POST /settle (deferred mode)', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator();
  });
  afterAll(() => f.stop());

  it('queues a never-verified authorization: success, empty transaction, reference and status in extensions', async () => {
    const body = await f.validBody({ amount: 25_000n });
    const res = await f.settle(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      transaction: '',
      network: f.api.chain.deployment.network,
      payer: f.api.chain.deployment.payers[0].address,
      extensions: { tollgate: { status: 'queued', settlementMode: 'deferred' } },
    });
    const ref = res.body.extensions.tollgate.reference;
    const [row] = await f.api.db.query(`SELECT id, status FROM payments WHERE reference = $1`, [ref]);
    expect(row.status).toBe('queued');
    const events = await f.api.db.query(`SELECT from_status, to_status FROM tollgate_payment_events($1) ORDER BY id`, [row.id]);
    expect(events).toEqual([
      { from_status: null, to_status: 'verified' },
      { from_status: 'verified', to_status: 'queued' },
    ]);
  });

  it('an identical second settle (the first answer was lost) is told the truth: success, same reference, current status', async () => {
    const body = await f.validBody();
    const first = await f.settle(body);
    expect(first.body.success).toBe(true);
    const again = await f.settle(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ success: true, transaction: '', extensions: { tollgate: { reference: first.body.extensions.tollgate.reference, status: 'queued' } } });
  });

  it('a settle of a queued authorization with different requirements is refused with duplicate_settlement', async () => {
    const body = await f.validBody();
    expect((await f.settle(body)).body.success).toBe(true);
    const changed = structuredClone(body);
    changed.paymentRequirements.extra = { ...changed.paymentRequirements.extra, note: 'other' };
    const again = await f.settle(changed);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ success: false, errorReason: 'duplicate_settlement', transaction: '' });
  });

  it('the same authorization verified twice then settled by three concurrent identical requests: one payment, one reference for all', async () => {
    const body = await f.validBody();
    expect((await f.verify(body)).body.isValid).toBe(true);
    expect((await f.verify(body)).body.isValid).toBe(true);
    const results = await Promise.all([f.settle(body), f.settle(body), f.settle(body)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.filter((r) => r.body.success)).toHaveLength(3);
    expect(new Set(results.map((r) => r.body.extensions.tollgate.reference)).size).toBe(1);
    const events = await f.api.db.query(
      `SELECT count(*)::int AS n FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.nonce = $1 AND e.to_status = 'queued'`,
      [body.paymentPayload.payload.authorization.nonce],
    );
    expect(events[0].n).toBe(1);
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE nonce = $1`, [body.paymentPayload.payload.authorization.nonce]);
    expect(n).toBe(1);
  });

  it('exposure guard: two concurrent verifies that together exceed the balance — exactly one passes', async () => {
    const d = f.api.chain.deployment;
    // payers[5] holds 1,000,000 tokens; two authorizations of 600,000 each cannot both be honoured.
    const amount = 600_000n * 10n ** 6n;
    const [a, b] = await Promise.all([f.validBody({ payerIndex: 5, amount }), f.validBody({ payerIndex: 5, amount })]);
    const results = await Promise.all([f.verify(a), f.verify(b)]);
    expect(results.filter((r) => r.body.isValid)).toHaveLength(1);
    const refused = results.find((r) => !r.body.isValid)!;
    expect(refused.body.invalidReason).toBe('tollgate_exposure_exceeded');
    expect(refused.body.payer).toBe(d.payers[5].address);
  });

  describe('payment-identifier', () => {
    it('same id + same payload gets the first answer again', async () => {
      const body = await f.validBody({ paymentIdentifier: 'order_0001_abcdefgh' });
      const first = await f.settle(body);
      expect(first.body.success).toBe(true);
      const retry = await f.settle(body);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
    });

    it('same id + different payload gets 409', async () => {
      const first = await f.settle(await f.validBody({ paymentIdentifier: 'order_0002_abcdefgh' }));
      expect(first.body.success).toBe(true);
      const other = await f.settle(await f.validBody({ paymentIdentifier: 'order_0002_abcdefgh' }));
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ success: false, errorReason: 'tollgate_payment_identifier_conflict' });
    });

    it('concurrent retries with the same id all get the one success', async () => {
      const body = await f.validBody({ paymentIdentifier: 'order_0003_abcdefgh' });
      const results = await Promise.all([f.settle(body), f.settle(body), f.settle(body)]);
      for (const r of results) expect(r.body).toEqual(results[0].body);
      expect(results[0].body.success).toBe(true);
      const refs = new Set(results.map((r) => r.body.extensions.tollgate.reference));
      expect(refs.size).toBe(1);
    });
  });

  it('settle-mode header other than deferred/confirmed is a 400 naming the header', async () => {
    const res = await f.settle(await f.validBody(), { 'x-tollgate-settlement-mode': 'sometime' });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('x-tollgate-settlement-mode');
  });
});

describe('facilitator HTTP surface', () => {
  let f: FacilitatorFixture;

  beforeAll(async () => {
    f = await startFacilitator({}, 7);
  });
  afterAll(() => f.stop());

  it('requires a valid API key on verify and settle', async () => {
    const body = await f.validBody();
    for (const path of ['verify', 'settle']) {
      const none = await fetch(`${f.api.baseUrl}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(none.status).toBe(401);
      const wrong = await fetch(`${f.api.baseUrl}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer tg_not-a-key' },
        body: JSON.stringify(body),
      });
      expect(wrong.status).toBe(401);
    }
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments`);
    expect(n).toBe(0);
  });

  it('GET /supported lists v2 and v1 kinds, the payment-identifier extension and relayer signers', async () => {
    // The API holds no keys: the signers are the relayers a worker published (as SettlementWorker.start does).
    const d0 = f.api.chain.deployment;
    await publishRelayers(f.api.db, new ChainClients(f.api.config.networks), d0.relayers.map((r) => ({ network: d0.network, address: r.address })));
    const res = await fetch(`${f.api.baseUrl}/supported`);
    expect(res.status).toBe(200);
    const body: any = await res.json();
    const d = f.api.chain.deployment;
    expect(body.kinds).toEqual(
      expect.arrayContaining([
        { x402Version: 2, scheme: 'exact', network: d.network },
        { x402Version: 1, scheme: 'exact', network: 'anvil' },
      ]),
    );
    expect(body.extensions).toContain('payment-identifier');
    expect(body.signers['eip155:*']).toEqual(d.relayers.map((r) => r.address));
  });

  it('a body that is not JSON is a 400 in the verify shape, not a 500', async () => {
    const res = await f.verify('{"x402Version": 2, ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ isValid: false, invalidReason: 'invalid_payload' });
  });

  it('a malformed field is a 400 naming the field', async () => {
    const body = await f.validBody();
    body.paymentPayload.payload.authorization.value = '12.5';
    const res = await f.verify(body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('paymentPayload.payload.authorization.value');
    const settle = await f.settle(body);
    expect(settle.status).toBe(400);
    expect(settle.body).toMatchObject({ success: false, errorReason: 'invalid_payload', transaction: '', field: 'paymentPayload.payload.authorization.value' });
    // x402's SettleResponse requires a non-empty network: the refusal names the one the request named.
    expect(settle.body.network).toBe(body.paymentRequirements.network);
    const badMode = await f.settle(await f.validBody(), { 'x-tollgate-settlement-mode': 'soon' });
    expect(badMode.status).toBe(400);
    expect(badMode.body).toMatchObject({ success: false, field: 'x-tollgate-settlement-mode', network: body.paymentRequirements.network });
  });

  it('no input — arbitrary JSON or mutated valid bodies — yields a 5xx or a half-written record', async () => {
    const valid = await f.validBody();
    const paths: string[][] = [];
    const walk = (o: unknown, p: string[]) => {
      if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) { paths.push([...p, k]); walk(v, [...p, k]); }
    };
    walk(valid, []);
    const mutated = fc.tuple(fc.constantFrom(...paths), fc.jsonValue()).map(([path, value]) => {
      const copy = JSON.parse(JSON.stringify(valid));
      let o = copy;
      for (const k of path.slice(0, -1)) o = o[k];
      o[path[path.length - 1]] = value;
      return copy;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), mutated), fc.boolean(), async (body, settle) => {
        const res = settle ? await f.settle(body) : await f.verify(body);
        return res.status < 500;
      }),
      { numRuns: 150, seed: 42 },
    );
    const raw = ['', '[]', 'null', '"x"', '{"x402Version":', '\u0000'];
    for (const text of raw) expect((await f.verify(text)).status).toBeLessThan(500);
    // Every payment reached its status through a recorded step: nothing half-written.
    const broken = await f.api.db.query(
      `SELECT count(*)::int AS n FROM payments p WHERE NOT EXISTS (SELECT 1 FROM tollgate_payment_events(p.id) e WHERE e.to_status = p.status)`,
    );
    expect(broken[0].n).toBe(0);
  });
});
