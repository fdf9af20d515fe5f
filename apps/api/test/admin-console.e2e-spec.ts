import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { startSettlement, SettlementFixture } from '@tollgate/testing';
import { eventually } from '@tollgate/testing';
import { createAdminUser, failedButRecoverablePayment } from '@tollgate/testing';
import { SCREENSHOT_DIR as CONSOLE_SCREENSHOTS } from './console-browser';

/** Debian's chromium, installed by .ci/run; never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
/** Set UPDATE_SCREENSHOTS=1 to refresh the README's screenshot (docs/operator-console.png); else artifacts/screenshots/ (git-ignored). */
const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS === '1' ? resolve(__dirname, '../../../docs') : CONSOLE_SCREENSHOTS;

/**
 * The operator console in a real browser: an operator signs in, finds a failed payment that can still
 * succeed, retries it with the worker running and watches it settle; the audit log shows the retry; a
 * viewer sees no action buttons.
 */
describe('operator console (headless Chromium)', () => {
  let f: SettlementFixture;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    // Fail loudly: a missing browser must not turn this test into a silent skip.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`);
    // The console shows the worker's outcome of an action: wait for it as long as the test would.
    f = await startSettlement({ BATCH_MAX_WAIT_MS: '300', ADMIN_ACTION_WAIT_MS: '20000' });
    profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
    await f?.stop();
  });

  it('an operator finds a failed payment, retries it, sees it settle, and the audit log records it', async () => {
    const operator = await createAdminUser(f, 'operator', 'olivia');
    // The lane holds a few queued payments (no worker yet) and one failed payment that can still succeed.
    for (let i = 0; i < 3; i++) {
      const { body } = await f.sign({ payerIndex: i, amount: 25_000n + BigInt(i) * 1_000n });
      expect((await f.settle(body)).body.success).toBe(true);
    }
    const { ref } = await failedButRecoverablePayment(f, { payerIndex: 3, amount: 42_000n });

    await page.goto(`${f.api.baseUrl}/admin`);
    await page.waitForURL(/\/admin\/login/);
    await page.getByLabel('Username').fill(operator.username);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${f.api.baseUrl}/admin`);
    await page.getByRole('heading', { name: /Overview/ }).waitFor();
    const laneRow = page.locator('tr[data-lane]').first();
    expect(await laneRow.locator('[data-metric=queued]').innerText()).toBe('3');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'operator-console.png') });

    // The retry is carried out by the worker (the API holds no relayer keys).
    await f.startWorker();
    await f.startOperatorActions();
    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=failed/);
    await page.getByRole('link', { name: ref }).click();
    await page.getByRole('heading', { name: new RegExp(`Payment ${ref}`) }).waitFor();
    await page.getByText('invalid_exact_evm_insufficient_balance').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'operator-console-payment.png') });

    await page.getByRole('button', { name: 'Retry settlement' }).click();
    await page.getByRole('status').filter({ hasText: `Payment ${ref} is queued again.` }).waitFor();

    // The worker settles it; the page shows it after a reload (poll with a deadline).
    let badge = '';
    await eventually(
      'the payment page to show it confirmed',
      async () => {
        await page.reload();
        badge = (await page.locator('h1 .badge').innerText()).trim();
        return badge === 'confirmed';
      },
      30_000,
      () => `the badge still reads ${badge}`,
    );
    const tx = await page.locator('table.kv tr', { hasText: 'Transaction' }).locator('code').innerText();
    expect(tx).toMatch(/^0x[0-9a-f]{64}$/);
    await page.getByRole('heading', { name: 'Operator actions' }).waitFor();

    await page.getByRole('link', { name: 'Audit log' }).click();
    const row = page.locator('tr[data-action="payment.retry"]').first();
    await row.waitFor();
    expect(await row.innerText()).toContain('user:olivia');
    expect(await row.innerText()).toContain(ref);
    const audit = await f.api.db.query(`SELECT actor, before, after FROM admin_audit_log WHERE action = 'payment.retry' AND target_id = $1`, [ref]);
    expect(audit).toEqual([{ actor: 'user:olivia', before: expect.objectContaining({ status: 'failed' }), after: { status: 'queued' } }]);
    // The request as the API recorded it, before the worker carried it out.
    const [requested] = await f.api.db.query(`SELECT actor FROM admin_audit_log WHERE action = 'payment.retry.requested' AND target_id = $1`, [ref]);
    expect(requested).toEqual({ actor: 'user:olivia' });
  });

  it('a viewer sees the failed payment but no action, and a form post without the CSRF token is refused', async () => {
    const viewer = await createAdminUser(f, 'viewer', 'victor');
    await f.stopWorker();
    await f.stopOperatorActions();
    const { ref } = await failedButRecoverablePayment(f, { payerIndex: 4 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/admin\/login/);
    await page.getByLabel('Username').fill(viewer.username);
    await page.getByLabel('Password').fill(viewer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${f.api.baseUrl}/admin`);
    await page.goto(`${f.api.baseUrl}/admin/payments/${ref}`);
    await page.getByText('invalid_exact_evm_insufficient_balance').first().waitFor();
    expect(await page.getByRole('button', { name: 'Retry settlement' }).count()).toBe(0);
    // Same-origin post from the page with the session cookie but without a CSRF token.
    const status = await page.evaluate(async (path) => (await fetch(path, { method: 'POST' })).status, `/admin/api/payments/${ref}/retry`);
    expect(status).toBe(403);
    const [row] = await f.api.db.query(`SELECT status FROM payments WHERE reference = $1`, [ref]);
    expect(row.status).toBe('failed');
  });
});
