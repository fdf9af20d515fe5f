import { postJson, startTestApi, TestApi } from '@tollgate/testing';
import { adminCall, createAdminToken } from './admin-harness';
import { FacilitatorFixture, startFacilitator } from './facilitator-harness';

/**
 * Two API processes (two Nest apps) sharing one database, one Redis and one queue prefix — as production runs
 * several. What one process changes must bind the other at once.
 */
describe('two API processes', () => {
  let f: FacilitatorFixture;
  let other: TestApi;
  let adminToken: string;

  beforeAll(async () => {
    f = await startFacilitator({}, 31);
    other = await startTestApi({ sharing: f.api });
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
});
