import { PaymentLedger } from '@tollgate/persistence';
import { createAdminUser, eventually, failedButRecoverablePayment, SettlementFixture, startSettlement } from '@tollgate/testing';
import { ConsoleBrowser, focused, openConsoleBrowser, screenshot, signIn, unlabelledControls, widths } from './console-browser';

/**
 * The operator console's layout and conventions in a real browser (issue 17): no page scrolls sideways at
 * 1280 or 1024 px (a long history JSON scrolls inside its own box), the "no worker" banner, the overview's
 * refresh, amounts in the token with its symbol, actions offered only where the state machine allows, the
 * webhooks pager, the batches filter that waits for its button, the HTML 404, the favicon, a skip link and
 * labelled controls. Screenshots go to artifacts/screenshots/.
 */
describe('operator console layout (headless Chromium)', () => {
  let f: SettlementFixture;
  let b: ConsoleBrowser;
  const refs: Record<string, string> = {};
  let batchId = '';

  beforeAll(async () => {
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '300', WORKER_STALE_AFTER_SECONDS: '5' });
    // A confirmed payment (and its batch), settled by a worker that then stops: the banner shows later.
    await f.startWorker();
    const { body } = await f.sign({ payerIndex: 0, amount: 1_250_000n });
    refs.confirmed = (await f.settle(body)).body.extensions.tollgate.reference;
    await f.waitForStatuses([refs.confirmed], (s) => s[0] === 'confirmed');
    batchId = (await f.statusOf(refs.confirmed)).batch_id!;
    await f.stopWorker();
    // A failed payment that can be retried, one whose authorization expired, one lapsed, one queued.
    refs.retriable = (await failedButRecoverablePayment(f, { payerIndex: 1, amount: 42_000n })).ref;
    const expired = await failedButRecoverablePayment(f, { payerIndex: 2, amount: 43_000n });
    refs.expired = expired.ref;
    await f.api.db.query(`UPDATE payments SET expires_at = now() - interval '1 minute', valid_before = (extract(epoch from now())::bigint - 60)::text::numeric WHERE id = $1`, [expired.id]);
    // A long history entry: what made the page 1,400–2,800 px wide (one unbroken token, many keys).
    const long = { message: 'x'.repeat(600), calldata: `0x${'ab'.repeat(700)}`, rows: Array.from({ length: 40 }, (_, i) => ({ i, payer: `0x${String(i).repeat(40).slice(0, 40)}` })) };
    await f.api.db.query(`UPDATE payment_events SET detail = $2 WHERE payment_id = $1 AND to_status = 'failed'`, [expired.id, JSON.stringify(long)]);
    const verified = await f.sign({ payerIndex: 3, amount: 44_000n });
    const v = await f.verify(verified.body);
    refs.lapsed = v.body.extensions.tollgate.reference;
    const [{ id: lapsedId }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [refs.lapsed]);
    await new PaymentLedger(f.api.db).transition([lapsedId], 'verified', 'lapsed', { reason: 'tollgate_never_settled', patch: { failure_reason: 'tollgate_never_settled', failure_message: 'verified but never settled before validBefore (test)' } });
    const queued = await f.sign({ payerIndex: 4, amount: 45_000n });
    refs.queued = (await f.settle(queued.body)).body.extensions.tollgate.reference;
    // 105 webhook deliveries: more than one page of 100.
    const [endpoint] = await f.api.db.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, event_types, secret_ciphertext) VALUES ($1, 'https://hooks.example.com/tollgate', '{payment.queued}', 'not-a-secret') RETURNING id`,
      [f.merchantId],
    );
    await f.api.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, merchant_id, event_type, message_id, occurred_at, snapshot, status, attempt_count, created_at)
       SELECT $1, $2, 'payment.queued', 'msg_' || g, now(), '{}', 'succeeded', 1, now() - g * interval '1 millisecond' FROM generate_series(1, 105) g`,
      [endpoint.id, f.merchantId],
    );
    b = await openConsoleBrowser(1280);
    await signIn(b.page, f.api.baseUrl, await createAdminUser(f, 'operator', 'layla'));
  });
  afterAll(async () => {
    await b?.close();
    await f?.stop();
  });

  const pages = () => ({
    overview: '/admin',
    payments: '/admin/payments',
    'payment-long-history': `/admin/payments/${refs.expired}`,
    'payment-confirmed': `/admin/payments/${refs.confirmed}`,
    'payment-queued': `/admin/payments/${refs.queued}`,
    batches: '/admin/batches',
    batch: `/admin/batches/${batchId}`,
    failures: '/admin/failures',
    webhooks: '/admin/webhooks',
    merchants: '/admin/merchants',
    merchant: `/admin/merchants/${f.merchantId}`,
    audit: '/admin/audit',
    'not-found': '/admin/no-such-page',
  });

  it.each([1280, 1024])('no page scrolls sideways at %i px, every control is labelled, a skip link leads to the content', async (width) => {
    await b.page.setViewportSize({ width, height: 800 });
    const wide: string[] = [];
    for (const [name, path] of Object.entries(pages())) {
      await b.page.goto(`${f.api.baseUrl}${path}`);
      const w = await widths(b.page);
      if (w.scrollWidth > w.innerWidth) wide.push(`${path}: ${w.scrollWidth} px`);
      expect({ path, unlabelled: await unlabelledControls(b.page) }).toEqual({ path, unlabelled: [] });
      await screenshot(b.page, `${width}-${name}`);
    }
    expect(wide).toEqual([]);
    expect(await b.page.locator('main h1').innerText()).toBe('404 — Not found');
    // The long history scrolls inside its own box.
    await b.page.goto(`${f.api.baseUrl}/admin/payments/${refs.expired}`);
    const box = await b.page.locator('pre.json').first().boundingBox();
    expect(box!.width).toBeLessThan(width);
    // The first Tab reaches the skip link, which moves focus to the content.
    await b.page.keyboard.press('Tab');
    expect((await focused(b.page)).text).toBe('Skip to content');
    await b.page.keyboard.press('Enter');
    expect((await focused(b.page)).id).toBe('main');
  });

  it('the overview shows the "no worker" banner and refreshes itself; other pages do not refresh', async () => {
    await b.page.setViewportSize({ width: 1280, height: 800 });
    await eventually('the banner to name the stopped worker', async () => {
      await b.page.goto(`${f.api.baseUrl}/admin`);
      return (await b.page.locator('#worker-banner').count()) === 1;
    });
    expect(await b.page.locator('#worker-banner').innerText()).toMatch(/No worker seen for \d/);
    expect(await b.page.locator('meta[http-equiv=refresh]').getAttribute('content')).toBe('30');
    await screenshot(b.page, 'overview-worker-banner');
    await b.page.goto(`${f.api.baseUrl}/admin/payments`);
    expect(await b.page.locator('meta[http-equiv=refresh]').count()).toBe(0);
  });

  it('amounts carry the token symbol, with the atomic units as secondary text', async () => {
    await b.page.goto(`${f.api.baseUrl}/admin/payments/${refs.confirmed}`);
    const amount = await b.page.locator('table.kv tr', { hasText: 'Amount' }).locator('td').innerText();
    expect(amount).toMatch(/^1\.25 [A-Z]+ \(1250000 atomic units\)$/);
    await b.page.goto(`${f.api.baseUrl}/admin/payments`);
    const cell = b.page.locator('tr', { hasText: refs.retriable }).locator('td.num').first();
    expect(await cell.innerText()).toMatch(/^0\.042 [A-Z]+$/);
    expect(await cell.getAttribute('title')).toBe('42000 atomic units');
  });

  it('offers retry only where it can succeed and says why there is no action otherwise', async () => {
    const panel = async (ref: string) => {
      await b.page.goto(`${f.api.baseUrl}/admin/payments/${ref}`);
      return { retry: await b.page.getByRole('button', { name: 'Retry settlement' }).count(), text: await b.page.locator('.actions-panel').innerText() };
    };
    expect((await panel(refs.retriable)).retry).toBe(1);
    expect(await panel(refs.expired)).toEqual({ retry: 0, text: expect.stringMatching(/No actions\. It cannot be retried: the authorization expired at/) });
    expect(await panel(refs.confirmed)).toEqual({ retry: 0, text: 'No actions. Confirmed payments are final.' });
    expect(await panel(refs.lapsed)).toEqual({ retry: 0, text: expect.stringMatching(/No actions\. .*lapsed payment is final/) });
    const queued = await panel(refs.queued);
    expect(queued.retry).toBe(0);
    expect(await b.page.getByRole('button', { name: 'Void payment' }).count()).toBe(1);
    expect(await b.page.getByLabel('Reason for voiding').count()).toBe(1);
  });

  it('the webhooks list pages by keyset: 100, then the 5 older ones, and back to the newest', async () => {
    await b.page.goto(`${f.api.baseUrl}/admin/webhooks`);
    const rows = () => b.page.locator('tr', { hasText: 'payment.queued' }).count();
    expect(await rows()).toBe(100);
    await b.page.getByRole('link', { name: 'older →' }).click();
    await b.page.waitForURL(/before=/);
    expect(await rows()).toBe(5);
    expect(await b.page.getByRole('link', { name: 'older →' }).count()).toBe(0);
    await screenshot(b.page, 'webhooks-older-page');
    await b.page.getByRole('link', { name: '← newest' }).click();
    await b.page.waitForURL(`${f.api.baseUrl}/admin/webhooks`);
    expect(await rows()).toBe(100);
    // A made-up cursor is a 400 naming the field, not a 500.
    const res = await b.page.goto(`${f.api.baseUrl}/admin/webhooks?before=yesterday`);
    expect(res!.status()).toBe(400);
  });

  it('the batches filter waits for its button (arrow keys do not submit)', async () => {
    await b.page.goto(`${f.api.baseUrl}/admin/batches`);
    await b.page.getByLabel('Status').focus();
    await b.page.keyboard.press('ArrowDown');
    await b.page.keyboard.press('ArrowDown');
    expect(b.page.url()).toBe(`${f.api.baseUrl}/admin/batches`);
    await b.page.getByLabel('Status').selectOption('confirmed');
    await b.page.getByRole('button', { name: 'Filter' }).click();
    await b.page.waitForURL(/status=confirmed/);
    expect(await b.page.locator('tbody tr').count()).toBe(1);
  });

  it('unknown console paths get an HTML 404 page, unknown admin API paths JSON; the favicon is served', async () => {
    const res = await b.page.goto(`${f.api.baseUrl}/admin/payments/${refs.confirmed}/nope`);
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-type']).toMatch(/^text\/html/);
    await b.page.getByRole('heading', { name: '404 — Not found' }).waitFor();
    expect(await b.page.getByRole('link', { name: 'Payments', exact: true }).count()).toBe(1);
    const api = await fetch(`${f.api.baseUrl}/admin/api/nope`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    // Signed out, a mistyped path is still a 404 page (not a sign-in page leading to it).
    const anonymous = await fetch(`${f.api.baseUrl}/admin/nope`);
    expect([anonymous.status, await anonymous.text()]).toEqual([404, expect.stringContaining('404 — Not found')]);

    const href = await b.page.locator('link[rel=icon]').getAttribute('href');
    const icon = await fetch(`${f.api.baseUrl}${href}`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^image\/svg\+xml/)]);
  });

  it('an operator issues a merchant who lost every key a new one: shown once on the page, the old keys revoked, audited', async () => {
    await b.page.goto(`${f.api.baseUrl}/admin/merchants/${f.merchantId}`);
    await b.page.getByText('Issue a new API key').click();
    await b.page.getByLabel('Label').fill('recovered by layla');
    await b.page.getByLabel(/Revoke the merchant's other keys/).check();
    await b.page.getByRole('button', { name: 'Issue API key' }).click();
    const key = (await b.page.locator('#api-key').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    await screenshot(b.page, 'merchant-key-issued');
    // The new key authenticates; every other key of the merchant is revoked; the secret is stored hashed only.
    expect((await fetch(`${f.api.baseUrl}/v1/merchant/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const keys = await f.api.db.query(`SELECT name, revoked_at IS NULL AS active, key_hash FROM merchant_api_keys WHERE merchant_id = $1`, [f.merchantId]);
    expect(keys.filter((k: { active: boolean }) => k.active).map((k: { name: string }) => k.name)).toEqual(['recovered by layla']);
    expect(keys.every((k: { key_hash: string }) => !k.key_hash.includes(key))).toBe(true);
    const [audit] = await f.api.db.query(`SELECT actor FROM admin_audit_log WHERE action = 'merchant.api_key.issue' ORDER BY id DESC LIMIT 1`);
    expect(audit.actor).toContain('layla');
    // Shown once: the page reloaded shows no key.
    await b.page.goto(`${f.api.baseUrl}/admin/merchants/${f.merchantId}`);
    expect(await b.page.locator('#api-key').count()).toBe(0);
  });
});
