import { postJson, startTestApi, TestApi } from '@tollgate/testing';
import { adminCall, createAdminToken, createAdminUser, login } from '@tollgate/testing';
import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';

/**
 * Two API processes (two Nest apps) sharing one database, one Redis and one queue prefix — as production runs
 * several. What one process changes must bind the other at once.
 */
describe('two API processes', () => {
  let f: FacilitatorFixture;
  let other: TestApi;
  let adminToken: string;

  beforeAll(async () => {
    // Both processes sit behind one trusted proxy on loopback, which names the client in X-Forwarded-For.
    const env = { ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS: '8', ADMIN_LOGIN_MAX_FAILURES_PER_USER: '3', API_TRUST_PROXY: 'loopback' };
    f = await startFacilitator(env, 31);
    other = await startTestApi({ sharing: f.api, env });
    adminToken = await createAdminToken(f, 'operator');
  });
  afterAll(async () => {
    await other?.stop();
    await f?.stop();
  });

  const settleOn = (api: TestApi, body: unknown, key = f.apiKey) => postJson(`${api.baseUrl}/settle`, body, { authorization: `Bearer ${key}` });
  const meOn = (api: TestApi, key: string) => fetch(`${api.baseUrl}/v1/merchant`, { headers: { authorization: `Bearer ${key}` } });

  it('a key revoked through one process is refused by the very next request on the other', async () => {
    const created = await postJson(`${f.api.baseUrl}/v1/merchant/api-keys`, {}, { authorization: `Bearer ${f.apiKey}` });
    expect(created.status).toBe(201);
    const key: string = created.body.secret;
    expect((await meOn(other, key)).status).toBe(200); // cached on the other process now
    const revoked = await fetch(`${f.api.baseUrl}/v1/merchant/api-keys/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${f.apiKey}` } });
    expect(revoked.status).toBe(200);
    expect((await meOn(other, key)).status).toBe(401);
  });

  it('a merchant suspended through one process cannot settle on the other with its next request', async () => {
    // Both processes have the merchant's authentication cached.
    expect((await settleOn(other, await f.validBody())).body.success).toBe(true);
    expect((await settleOn(f.api, await f.validBody())).body.success).toBe(true);
    const suspended = await adminCall(f.api.baseUrl, `/admin/api/merchants/${f.merchantId}/suspend`, { method: 'POST', bearer: adminToken });
    expect(suspended.status).toBe(200);
    const body = await f.validBody();
    const refused = await settleOn(other, body);
    expect(refused.status).toBe(401);
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM payments WHERE nonce = $1`, [body.paymentPayload.payload.authorization.nonce]);
    expect(n).toBe(0);
    // Re-activation binds at once too.
    expect((await adminCall(other.baseUrl, `/admin/api/merchants/${f.merchantId}/activate`, { method: 'POST', bearer: adminToken })).status).toBe(200);
    expect((await settleOn(f.api, await f.validBody())).body.success).toBe(true);
  });

  describe('console sign-in', () => {
    /** A form post as a browser sends it, optionally from another client address (`x-forwarded-for`, API_TRUST_PROXY=loopback). */
    async function signIn(api: TestApi, form: string | Record<string, unknown>, opts: { from?: string } = {}): Promise<Response> {
      const json = typeof form !== 'string';
      return fetch(`${api.baseUrl}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
          origin: api.baseUrl,
          ...(opts.from ? { 'x-forwarded-for': opts.from } : {}),
        },
        body: json ? JSON.stringify(form) : form,
      });
    }
    const form = (username: string, password: string) => new URLSearchParams({ username, password }).toString();

    it('malformed sign-in forms are a 400 naming the field, never a 500', async () => {
      for (const [body, field] of [
        ['username=a&username=b&password=whatever-password', 'username'],
        [{ username: 1, password: 'whatever-password' }, 'username'],
        ['username=%00&password=whatever-password', 'username'],
        ['username=alice&password=a&password=b', 'password'],
        [{ username: 'alice' }, 'password'],
      ] as Array<[string | Record<string, unknown>, string]>) {
        const res = await signIn(f.api, body, { from: '203.0.113.50' });
        expect(res.status).toBe(400);
        // The form's own check says `field username`; a NUL is refused earlier, by the input guard, as JSON `"field":"username"`.
        expect(await res.text()).toMatch(new RegExp(`field\\W+${field}\\b`));
      }
    });

    it('a password spray from one address is throttled across both processes with 429 and Retry-After, and audited', async () => {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 12; i++) {
        const res = await signIn(i % 2 ? other : f.api, form(`sprayed-user-${i}`, 'guess-guess-guess'), { from: '203.0.113.7' });
        statuses.push(res.status);
        if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
      }
      // 8 failures per address are counted over both processes together; the rest are refused unchecked.
      expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
      expect(statuses.slice(8)).toEqual(Array(4).fill(429));
      expect(Number(retryAfter)).toBeGreaterThan(0);
      const audited = await f.api.db.query(`SELECT target_id, detail FROM admin_audit_log WHERE action = 'admin.login_failed' AND detail->>'address' = '203.0.113.7'`);
      expect(audited).toHaveLength(8);
      // Another address is not affected.
      expect((await signIn(f.api, form('sprayed-user-0', 'guess-guess-guess'), { from: '203.0.113.8' })).status).toBe(401);
    });

    it('guessing one operator password is throttled per address, while the operator signs in from another address', async () => {
      const { username, password } = await createAdminUser(f, 'operator');
      const attacker = '198.51.100.23';
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await signIn(i % 2 ? f.api : other, form(username, `wrong-${i}-password`), { from: attacker })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Even the right password is refused from the attacker's address until the window ends...
      expect((await signIn(f.api, form(username, password), { from: attacker })).status).toBe(429);
      // ...but the operator, elsewhere, signs in on either process.
      expect((await signIn(other, form(username, password), { from: '192.0.2.44' })).status).toBe(303);
      expect((await signIn(f.api, form(username, password), { from: '192.0.2.45' })).status).toBe(303);
      await expect(login(other.baseUrl, username, password)).resolves.toBeDefined();
    });
  });
});
