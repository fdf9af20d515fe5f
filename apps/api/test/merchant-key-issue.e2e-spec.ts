import { runCli } from './cli-process';
import { createHash } from 'node:crypto';
import { adminCall, createAdminToken, createAdminUser, FacilitatorFixture, login, merchantClient, startFacilitator } from '@tollgate/testing';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Issue #17: an operator issues a new API key to a merchant who lost all of theirs — admin API, console
 * form (CSRF) and `npm run admin -- issue-merchant-key` — shown once, stored hashed, audited.
 */
describe('operator issues a merchant API key', () => {
  let f: FacilitatorFixture;
  let operator: string;

  beforeAll(async () => {
    f = await startFacilitator({}, 23);
    operator = await createAdminToken(f, 'operator', 'keys-bot');
  });
  afterAll(() => f.stop());

  const meWith = async (key: string) => (await merchantClient(f.api.baseUrl, key).get('/v1/merchant')).status;

  it('admin API: a working key, shown once, stored as SHA-256, audited without the secret; revokeExisting locks the old keys out', async () => {
    const viewer = await createAdminToken(f, 'viewer', 'viewer-bot');
    expect((await adminCall(f.api.baseUrl, `/admin/api/merchants/${f.merchantId}/api-keys`, { method: 'POST', bearer: viewer, body: {} })).status).toBe(403);
    expect((await adminCall(f.api.baseUrl, `/admin/api/merchants/not-a-uuid/api-keys`, { method: 'POST', bearer: operator, body: {} })).body).toMatchObject({ statusCode: 400, field: 'id' });
    const unknown = await adminCall(f.api.baseUrl, `/admin/api/merchants/00000000-0000-4000-8000-000000000000/api-keys`, { method: 'POST', bearer: operator, body: {} });
    expect(unknown.status).toBe(404);
    expect((await adminCall(f.api.baseUrl, `/admin/api/merchants/${f.merchantId}/api-keys`, { method: 'POST', bearer: operator, body: { revokeExisting: 'maybe' } })).body).toMatchObject({
      statusCode: 400,
      field: 'revokeExisting',
    });

    const issued = await adminCall(f.api.baseUrl, `/admin/api/merchants/${f.merchantId}/api-keys`, { method: 'POST', bearer: operator, body: { name: 'recovery' } });
    expect(issued.status).toBe(201);
    const key: string = issued.body.apiKey;
    expect(key).toMatch(/^tg_/);
    expect(issued.body).toMatchObject({ merchantId: f.merchantId, apiKeyPrefix: key.slice(0, 10), after: { issued: key.slice(0, 10), name: 'recovery', revoked: [] } });
    expect(await meWith(key)).toBe(200);
    expect(await meWith(f.apiKey)).toBe(200); // kept: nothing was asked to be revoked
    const [stored] = await f.api.db.query(`SELECT key_hash, name FROM merchant_api_keys WHERE id = $1`, [issued.body.keyId]);
    expect(stored).toEqual({ key_hash: sha256(key), name: 'recovery' });
    const [audit] = await f.api.db.query(`SELECT actor, before, after, target_id FROM admin_audit_log WHERE action = 'merchant.api_key.issue' ORDER BY id DESC LIMIT 1`);
    expect(audit).toMatchObject({ actor: expect.stringContaining('keys-bot'), target_id: f.merchantId, after: { issued: key.slice(0, 10), revoked: [] } });
    expect(JSON.stringify(audit)).not.toContain(key.slice(10));
    // The merchant sees the key (not its secret) in its own list.
    const listed = await merchantClient(f.api.baseUrl, key).get('/v1/merchant/api-keys');
    expect(listed.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: issued.body.keyId, name: 'recovery', status: 'active' })]));
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(10));

    const replaced = await adminCall(f.api.baseUrl, `/admin/api/merchants/${f.merchantId}/api-keys`, { method: 'POST', bearer: operator, body: { revokeExisting: true } });
    expect(replaced.status).toBe(201);
    expect(replaced.body.after.revoked.sort()).toEqual([f.apiKey.slice(0, 10), key.slice(0, 10)].sort());
    expect(replaced.body.after.name).toBe('issued by an operator');
    expect(await meWith(key)).toBe(401);
    expect(await meWith(f.apiKey)).toBe(401);
    expect(await meWith(replaced.body.apiKey)).toBe(200);
    f.apiKey = replaced.body.apiKey;
  });

  it('console: the form post needs the CSRF token; the page shows the key once, with no-store', async () => {
    const user = await createAdminUser(f, 'operator', 'kim');
    const session = await login(f.api.baseUrl, user.username, user.password);
    const post = (form: Record<string, string>) =>
      fetch(`${f.api.baseUrl}/admin/merchants/${f.merchantId}/api-keys`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: f.api.baseUrl },
        body: new URLSearchParams(form).toString(),
      });
    expect((await post({ name: 'no csrf' })).status).toBe(403);
    const [{ n }] = await f.api.db.query(`SELECT count(*)::int AS n FROM merchant_api_keys WHERE name = 'no csrf'`);
    expect(n).toBe(0);

    const page = await fetch(`${f.api.baseUrl}/admin/merchants/${f.merchantId}`, { headers: { cookie: session.cookie } });
    expect(await page.text()).toContain(`action="/admin/merchants/${f.merchantId}/api-keys"`);
    const res = await post({ _csrf: session.csrf, name: 'from the console', revokeExisting: 'on' });
    expect(res.status).toBe(201); // as the merchant-creation form: the page is the answer (no redirect that could replay the key)
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const key = /<code id="api-key">(tg_[A-Za-z0-9_-]+)<\/code>/.exec(html)?.[1];
    expect(key).toBeDefined();
    expect(await meWith(key!)).toBe(200);
    expect(await meWith(f.apiKey)).toBe(401);
    const [audit] = await f.api.db.query(`SELECT actor FROM admin_audit_log WHERE action = 'merchant.api_key.issue' ORDER BY id DESC LIMIT 1`);
    expect(audit.actor).toBe('user:kim');
    f.apiKey = key!;
  });

  it('CLI: npm run admin -- issue-merchant-key prints the key once and audits it as cli:<user>', async () => {
    const cli = (args: string[]) => runCli('admin', args, { DATABASE_URL: f.api.config.databaseUrl });
    const r = await cli(['issue-merchant-key', '--merchant', f.merchantId, '--name', 'cli recovery']);
    expect(r).toMatchObject({ status: 0, stderr: expect.stringContaining('shown once') });
    const key = r.stdout.trim();
    expect(key).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(await meWith(key)).toBe(200);
    const [audit] = await f.api.db.query(`SELECT actor, after FROM admin_audit_log WHERE action = 'merchant.api_key.issue' ORDER BY id DESC LIMIT 1`);
    expect(audit).toMatchObject({ actor: expect.stringMatching(/^cli:/), after: { issued: key.slice(0, 10), name: 'cli recovery' } });
    expect(await cli(['issue-merchant-key', '--merchant', 'nope'])).toMatchObject({ status: 65, stderr: expect.stringContaining('merchant') });
  }, 300_000);
});
