import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { createAdminToken, createAdminUser, login, AdminSession } from '@tollgate/testing';
import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';
import { MerchantClient, merchantClient, WEBHOOK_TEST_ENV } from '@tollgate/testing';

/**
 * No input yields a 5xx: the probes a fuzzer found (each failed with a 500 or `unexpected_verify_error`
 * before the input guard and the schemas) and property tests over every route of the merchant API, the
 * admin API, the console's forms and the facilitator.
 */
describe('malformed input never yields a 5xx', () => {
  let f: FacilitatorFixture;
  let api: MerchantClient;
  let adminToken: string;
  let session: AdminSession;
  let endpointId: string;
  let lane: { network: string; asset: string };

  beforeAll(async () => {
    f = await startFacilitator(WEBHOOK_TEST_ENV, 13);
    api = merchantClient(f.api.baseUrl, f.apiKey);
    adminToken = await createAdminToken(f, 'operator');
    const user = await createAdminUser(f, 'operator');
    session = await login(f.api.baseUrl, user.username, user.password);
    const ep = await api.post('/v1/merchant/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', eventTypes: ['payment.queued'] });
    expect(ep.status).toBe(201);
    endpointId = ep.body.id;
    const d = f.api.chain.deployment;
    lane = { network: `eip155:${d.chainId}`, asset: d.token.address };
  });
  afterAll(() => f.stop());

  const nested = (depth: number, leaf: unknown = 1): unknown => {
    let v: unknown = leaf;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };
  /** Deep JSON as text: JSON.stringify itself recurses, so 20,000 levels are written out by hand. */
  const deepText = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${f.api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed };
  };

  describe('the fuzzer’s probes', () => {
    it('/settle with a payment-identifier and 20,000 nested arrays in extensions: 400 invalid_payload, before any hashing', async () => {
      const body = await f.validBody({ paymentIdentifier: 'pid_deep_nesting_0001' });
      const text = JSON.stringify(body).replace('"extensions":{', `"extensions":{"deep":${deepText(20_000)},`);
      const res = await f.settle(text);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ success: false, errorReason: 'invalid_payload', field: expect.stringContaining('paymentPayload.extensions.deep') });
    });

    it('deep JSON in paymentRequirements.extra of a signed payment is refused as malformed, not "retry later"', async () => {
      const body = await f.validBody();
      body.paymentRequirements.extra.deep = nested(40);
      const res = await f.verify(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ isValid: false, invalidReason: 'invalid_payload', field: expect.stringContaining('paymentRequirements.extra.deep') });
    });

    it('a NUL in paymentRequirements.extra of a signed payment: isValid false, invalid_payment_requirements', async () => {
      const body = await f.validBody();
      body.paymentRequirements.extra.note = 'a\u0000b';
      const v = await f.verify(body);
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({ isValid: false, invalidReason: 'invalid_payment_requirements', invalidMessage: expect.stringContaining('paymentRequirements.extra.note') });
      const s = await f.settle(body);
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ success: false, errorReason: 'invalid_payment_requirements' });
      const clean = await f.validBody();
      const k = await f.verify({ ...clean, paymentPayload: { ...clean.paymentPayload, extensions: { 'x\u0000': {} } } });
      expect(k.body).toMatchObject({ isValid: false, invalidReason: 'invalid_payload' });
    });

    it.each([
      ['/v1/merchant/payments?since=2025-01-01T00:00:00%2B99:99', 'since'],
      ['/v1/merchant/payments?until=2025-02-30T00:00:00Z', 'until'],
      [`/v1/merchant/payments?cursor=${Buffer.from(JSON.stringify(['2025-99-99T99:99:99Z', randomUUID()])).toString('base64url')}`, 'cursor'],
      ['DELIVERIES?cursor=' + Buffer.from(JSON.stringify(['2025-99-99T99:99:99Z', randomUUID()])).toString('base64url'), 'cursor'],
      ['DELIVERIES?eventType=payment.queued%00', 'eventType'],
    ])('merchant GET %s: 400 naming %s', async (path, field) => {
      const res = await api.get(path.replace('DELIVERIES', `/v1/merchant/webhook-endpoints/${endpointId}/deliveries`));
      expect(res.status).toBe(400);
      expect(res.body.field).toBe(field);
    });

    it('merchant bodies: impossible replay dates and NUL characters are 400s naming the field', async () => {
      const base = `/v1/merchant/webhook-endpoints`;
      const cases: Array<[string, string, unknown, string]> = [
        ['post', `${base}/${endpointId}/replay`, { since: '2025-01-01T00:00:00+99:99' }, 'since'],
        ['post', `${base}/${endpointId}/replay`, { since: '2025-99-99T99:99:99Z' }, 'since'],
        ['post', base, { url: 'http://127.0.0.1:9/\u0000', eventTypes: ['payment.queued'] }, 'url'],
        ['post', base, { url: 'http://127.0.0.1:9/x', eventTypes: ['payment.queued'], description: 'a\u0000b' }, 'description'],
        ['patch', `${base}/${endpointId}`, { description: '\u0000' }, 'description'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await (method === 'post' ? api.post(path, body) : api.patch(path, body));
        expect({ path, body, status: res.status, field: res.body.field }).toEqual({ path, body, status: 400, field });
      }
    });

    it.each([
      ['/admin/api/payments?offset=1e21', 'offset'],
      ['/admin/api/payments?offset=Infinity', 'offset'],
      ['/admin/api/payments?offset=-1', 'offset'],
      ['/admin/api/payments?payer=a&payer=b', 'payer'],
      ['/admin/api/payments?from=2025-99-99T99:99:99Z', 'from'],
      ['/admin/api/payments?q=%00', 'q'],
      ['/admin/api/batches?offset=1e21', 'offset'],
      ['/admin/api/webhooks/deliveries?offset=Infinity', 'offset'],
      ['/admin/api/audit?offset=1e21', 'offset'],
      ['/admin/api/audit?actor=a&actor=b', 'actor'],
      ['/admin/api/failures?hours=1e300', 'hours'],
      ['/admin/api/payments/pay_%00', 'path'],
    ])('admin GET %s: 400 naming %s', async (path, field) => {
      const res = await admin('GET', path);
      expect(res.status).toBe(400);
      expect(res.body.field).toBe(field);
    });

    it('admin bodies: a repeated or non-text reason is a 400, not a crash', async () => {
      const res = await admin('POST', `/admin/api/lanes/${lane.network}/${lane.asset}/pause`, { reason: ['a', 'b'] });
      expect(res).toMatchObject({ status: 400, body: { field: 'reason' } });
      const m = await admin('POST', '/admin/api/merchants', { name: 'x', payTo: [1, 2] });
      expect(m).toMatchObject({ status: 400, body: { field: 'payTo.0' } });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Property tests: bounded runs (a loaded 2-core machine runs the file in well under a minute).
  // ---------------------------------------------------------------------------------------------

  const NASTY = [
    '',
    '\u0000',
    'a\u0000',
    '%00',
    '1e21',
    'Infinity',
    '-Infinity',
    'NaN',
    '-1',
    '0x10',
    '9'.repeat(40),
    '2025-99-99T99:99:99Z',
    '2025-01-01T00:00:00+99:99',
    '2025-02-30T00:00:00Z',
    '0000-00-00',
    'null',
    'true',
    '[]',
    '{}',
    "'; DROP TABLE payments; --",
    '\\',
    '%',
    '%E0%A4%A',
    'ä€😀',
    '\ud800',
    'x'.repeat(5000),
    'eip155:999999999999999999999',
    '0x' + 'f'.repeat(40),
    'pay_AAAAAAAAAAAA',
    '00000000-0000-0000-0000-000000000000',
  ];
  const nastyString = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 40 }), fc.integer().map(String), fc.double().map(String));
  const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 3, arbitrary: nastyString },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((d) => nested(d, '\u0000')) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 1e21, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, [], {}) },
  );
  /** A query string over the route's keys and some others, values possibly repeated. */
  const queryOf = (keys: string[]) =>
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), fc.array(nastyString, { minLength: 1, maxLength: 2 })), { maxLength: 4 })
      .map((pairs) => {
        const p = new URLSearchParams();
        for (const [k, vs] of pairs) for (const v of vs) p.append(k, v);
        const s = p.toString();
        return s ? `?${s}` : '';
      });
  const bodyOf = (keys: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), nastyJson, { maxKeys: 4 }) },
      { weight: 1, arbitrary: nastyJson },
    );
  const segment = fc.oneof(fc.constantFrom('00000000-0000-0000-0000-000000000000', 'pay_AAAAAAAAAAAA', '%00', '%E0%A4%A', '..', 'x'.repeat(300)), fc.uuid(), fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent));
  const RUNS = { numRuns: 12, seed: 13 };

  type Call = { method: string; path: string; body?: unknown };
  const MERCHANT_ROUTES: Array<(id: fc.Arbitrary<string>) => fc.Arbitrary<Call>> = [
    () => fc.constant({ method: 'GET', path: '/v1/merchant' }),
    () => bodyOf(['defaultMode', 'confirmedThreshold', 'maxUnsettledExposure']).map((body) => ({ method: 'PATCH', path: '/v1/merchant/settlement-policy', body })),
    () => fc.constant({ method: 'GET', path: '/v1/merchant/pay-to' }),
    () => fc.constant({ method: 'GET', path: '/v1/merchant/api-keys' }),
    () => bodyOf(['name', 'label']).map((body) => ({ method: 'POST', path: '/v1/merchant/api-keys', body })),
    () => segment.map((s) => ({ method: 'DELETE', path: `/v1/merchant/api-keys/${s}` })),
    () => segment.map((s) => ({ method: 'POST', path: `/v1/merchant/api-keys/${s}/rotate` })),
    () => queryOf(['status', 'payer', 'payTo', 'network', 'since', 'until', 'limit', 'cursor']).map((q) => ({ method: 'GET', path: `/v1/merchant/payments${q}` })),
    () => segment.map((s) => ({ method: 'GET', path: `/v1/merchant/payments/${s}` })),
    () => segment.map((s) => ({ method: 'GET', path: `/v1/payments/${s}/status` })),
    () => bodyOf(['url', 'eventTypes', 'description']).map((body) => ({ method: 'POST', path: '/v1/merchant/webhook-endpoints', body })),
    () => fc.constant({ method: 'GET', path: '/v1/merchant/webhook-endpoints' }),
    (id) => id.map((s) => ({ method: 'GET', path: `/v1/merchant/webhook-endpoints/${s}` })),
    (id) => fc.tuple(id, bodyOf(['url', 'eventTypes', 'description', 'enabled'])).map(([s, body]) => ({ method: 'PATCH', path: `/v1/merchant/webhook-endpoints/${s}`, body })),
    () => segment.map((s) => ({ method: 'DELETE', path: `/v1/merchant/webhook-endpoints/${s}` })),
    (id) => fc.tuple(id, bodyOf(['overlapSeconds'])).map(([s, body]) => ({ method: 'POST', path: `/v1/merchant/webhook-endpoints/${s}/rotate-secret`, body })),
    () => segment.map((s) => ({ method: 'POST', path: `/v1/merchant/webhook-endpoints/${s}/test` })),
    (id) => fc.tuple(id, queryOf(['status', 'eventType', 'limit', 'cursor'])).map(([s, q]) => ({ method: 'GET', path: `/v1/merchant/webhook-endpoints/${s}/deliveries${q}` })),
    (id) => fc.tuple(id, segment).map(([s, d]) => ({ method: 'GET', path: `/v1/merchant/webhook-endpoints/${s}/deliveries/${d}` })),
    (id) => fc.tuple(id, segment).map(([s, d]) => ({ method: 'POST', path: `/v1/merchant/webhook-endpoints/${s}/deliveries/${d}/replay` })),
    (id) => fc.tuple(id, bodyOf(['since', 'until', 'includeSucceeded'])).map(([s, body]) => ({ method: 'POST', path: `/v1/merchant/webhook-endpoints/${s}/replay`, body })),
  ];

  const send = async (call: Call, headers: Record<string, string>, form = false): Promise<{ status: number; text: string }> => {
    let body: string | undefined;
    if (call.body !== undefined) {
      if (form) {
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries(typeof call.body === 'object' && call.body !== null ? call.body : { value: call.body })) {
          for (const x of Array.isArray(v) ? v : [v]) p.append(k, typeof x === 'string' ? x : JSON.stringify(x) ?? '');
        }
        body = p.toString();
      } else {
        body = JSON.stringify(call.body);
      }
    }
    const res = await fetch(`${f.api.baseUrl}${call.path}`, {
      method: call.method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }) },
      body,
      redirect: 'manual',
    });
    return { status: res.status, text: await res.text() };
  };
  const expectNo5xx = async (call: Call, headers: Record<string, string>, form = false) => {
    const res = await send(call, headers, form);
    if (res.status >= 500) throw new Error(`${call.method} ${call.path} ${JSON.stringify(call.body)} → ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };

  it('merchant API: every route answers below 500 for any query, body and path', async () => {
    const id = fc.oneof(fc.constant(endpointId), segment);
    const auth = { authorization: `Bearer ${f.apiKey}` };
    await fc.assert(fc.asyncProperty(fc.oneof(...MERCHANT_ROUTES.map((r) => r(id))), (call) => expectNo5xx(call, auth).then(() => undefined)), { ...RUNS, numRuns: 100 });
  });

  const ADMIN_ROUTES: Array<(prefix: string) => fc.Arbitrary<Call>> = [
    (p) => queryOf(['status', 'merchant', 'payer', 'payTo', 'network', 'reason', 'q', 'from', 'to', 'limit', 'offset']).map((q) => ({ method: 'GET', path: `${p}/payments${q}` })),
    (p) => segment.map((s) => ({ method: 'GET', path: `${p}/payments/${s}` })),
    (p) => segment.map((s) => ({ method: 'POST', path: `${p}/payments/${s}/retry` })),
    (p) => fc.tuple(segment, bodyOf(['reason'])).map(([s, body]) => ({ method: 'POST', path: `${p}/payments/${s}/void`, body })),
    (p) =>
      fc
        .tuple(fc.oneof(fc.constant(lane.network), segment), fc.oneof(fc.constant(lane.asset), segment), fc.constantFrom('pause', 'resume', 'flush'), bodyOf(['reason']))
        .map(([n, a, verb, body]) => ({ method: 'POST', path: `${p}/lanes/${n}/${a}/${verb}`, body })),
    (p) => queryOf(['status', 'network', 'limit', 'offset']).map((q) => ({ method: 'GET', path: `${p}/batches${q}` })),
    (p) => segment.map((s) => ({ method: 'GET', path: `${p}/batches/${s}` })),
    (p) => segment.map((s) => ({ method: 'POST', path: `${p}/batches/${s}/replace` })),
    (p) => queryOf(['hours']).map((q) => ({ method: 'GET', path: `${p}/failures${q}` })),
    (p) => segment.map((s) => ({ method: 'POST', path: `${p}/webhooks/deliveries/${s}/replay` })),
    (p) => fc.constant({ method: 'GET', path: `${p}/merchants` }),
    (p) => segment.map((s) => ({ method: 'GET', path: `${p}/merchants/${s}` })),
    (p) => bodyOf(['name', 'payTo', 'settlementMode', 'confirmedThreshold']).map((body) => ({ method: 'POST', path: `${p}/merchants`, body })),
    (p) => fc.tuple(segment, fc.constantFrom('suspend', 'activate')).map(([s, verb]) => ({ method: 'POST', path: `${p}/merchants/${s}/${verb}` })),
  ];

  it('admin API (token): every route answers below 500 for any query, body and path', async () => {
    const routes = [
      ...ADMIN_ROUTES.map((r) => r('/admin/api')),
      fc.constant({ method: 'GET', path: '/admin/api/me' }),
      fc.constant({ method: 'GET', path: '/admin/api/overview' }),
      queryOf(['merchant', 'endpoint', 'status', 'limit', 'offset']).map((q) => ({ method: 'GET', path: `/admin/api/webhooks/deliveries${q}` })),
      queryOf(['targetType', 'targetId', 'action', 'actor', 'limit', 'offset']).map((q) => ({ method: 'GET', path: `/admin/api/audit${q}` })),
    ];
    const auth = { authorization: `Bearer ${adminToken}` };
    await fc.assert(fc.asyncProperty(fc.oneof(...routes), (call) => expectNo5xx(call, auth).then(() => undefined)), { ...RUNS, numRuns: 100 });
  });

  it('console (session, form posts with the CSRF token): every page and form answers below 500', async () => {
    const routes = [
      ...ADMIN_ROUTES.map((r) => r('/admin')),
      fc.constant({ method: 'GET', path: '/admin' }),
      queryOf(['merchant', 'endpoint', 'status']).map((q) => ({ method: 'GET', path: `/admin/webhooks${q}` })),
      queryOf(['offset']).map((q) => ({ method: 'GET', path: `/admin/audit${q}` })),
    ];
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: f.api.baseUrl };
    await fc.assert(fc.asyncProperty(fc.oneof(...routes), (call) => expectNo5xx(call, headers, true).then(() => undefined)), { ...RUNS, numRuns: 80 });
  });

  it('facilitator: /verify, /settle and /supported never answer 5xx nor unexpected_*_error to a broken request', async () => {
    const template = await f.validBody({ paymentIdentifier: 'pid_property_test_0001' });
    const paths = [
      ['x402Version'],
      ['paymentPayload'],
      ['paymentPayload', 'payload', 'signature'],
      ['paymentPayload', 'payload', 'authorization', 'value'],
      ['paymentPayload', 'payload', 'authorization', 'validBefore'],
      ['paymentPayload', 'payload', 'authorization', 'nonce'],
      ['paymentPayload', 'extensions'],
      ['paymentPayload', 'extensions', 'payment-identifier', 'info', 'id'],
      ['paymentPayload', 'resource'],
      ['paymentPayload', 'accepted', 'extra'],
      ['paymentRequirements', 'extra'],
      ['paymentRequirements', 'extra', 'name'],
      ['paymentRequirements', 'amount'],
      ['paymentRequirements', 'network'],
      ['paymentRequirements', 'maxTimeoutSeconds'],
      ['paymentRequirements', 'asset'],
    ];
    const mutation = fc.tuple(fc.constantFrom(...paths), nastyJson, fc.constantFrom('/verify', '/settle'));
    const auth = { authorization: `Bearer ${f.apiKey}` };
    await fc.assert(
      fc.asyncProperty(mutation, async ([path, value, route]) => {
        const body = structuredClone(template);
        let o = body;
        for (const k of path.slice(0, -1)) o = o[k] = typeof o[k] === 'object' && o[k] !== null ? o[k] : {};
        o[path[path.length - 1]] = value;
        const res = await expectNo5xx({ method: 'POST', path: route, body }, auth);
        expect(res.text).not.toMatch(/unexpected_(verify|settle)_error/);
      }),
      { ...RUNS, numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(nastyJson, fc.constantFrom('/verify', '/settle'), async (body, route) => {
        const res = await expectNo5xx({ method: 'POST', path: route, body }, auth);
        expect(res.text).not.toMatch(/unexpected_(verify|settle)_error/);
      }),
      { ...RUNS, numRuns: 30 },
    );
    await fc.assert(fc.asyncProperty(queryOf(['x']), (q) => expectNo5xx({ method: 'GET', path: `/supported${q}` }, {}).then(() => undefined)), { ...RUNS, numRuns: 10 });
  });
});
